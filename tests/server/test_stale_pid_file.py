"""A server killed without a clean shutdown leaves its pid file behind. By the time anyone
runs `hms server stop` or `status`, that pid may belong to another process: hms must see
that it is not the home's server, and leave it alone."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from cli import cli
from hms.server import EmbeddedServer


def _stray():
    """A process of ours that is not a server: what a reused pid would name."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_stop_and_status_leave_alone_the_process_a_stale_pid_file_names(tmp_path):
    home = tmp_path / "home"
    server = EmbeddedServer(home)
    server.run_dir.mkdir(parents=True)
    stray = _stray()
    try:
        server.pid_file.write_text(f"{stray.pid}\n")
        assert server.pid() is None
        env = {"HMS_HOME": str(home), "HMS_DATABASE_URL": ""}
        stopped = CliRunner().invoke(cli, ["server", "stop"], env=env)
        assert stopped.exit_code == 0 and stopped.output.strip() == "not running"
        assert stray.poll() is None, "hms server stop signalled a process that is not its server"
        assert server.stop() is False and stray.poll() is None
    finally:
        stray.kill()
        stray.wait()

