"""Temporary credential files (hms-client-*.cnf) stranded by a kill -9 are removed by the
next run that writes one; files of live processes are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hms.connection import ConnectionInfo
from hms.optionfiles import defaults_file

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from hms.connection import ConnectionInfo
from hms.optionfiles import defaults_file
with defaults_file(ConnectionInfo(user="admin", password="s3cret-admin")) as path:
    print(path, flush=True)
    time.sleep(60)
"""


def test_a_credentials_file_left_by_kill_9_is_removed_by_the_next_run(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        stranded = Path(holder.stdout.readline().strip())
        assert stranded.parent == tmp_path and "s3cret-admin" in stranded.read_text()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        holder.stdout.close()
    assert stranded.exists()  # kill -9: nobody cleaned up
    legacy = tmp_path / "hms-client-abc123.cnf"  # named before files carried their pid
    legacy.write_text("[client]\npassword=old\n")
    old = time.time() - 7200
    os.utime(legacy, (old, old))
    recent_legacy = tmp_path / "hms-client-def456.cnf"
    recent_legacy.write_text("[client]\npassword=recent\n")
    with defaults_file(ConnectionInfo(user="u", password="p")) as mine:
        live = tmp_path / f"hms-client-{os.getpid()}-other.cnf"
        live.write_text("[client]\n")
        with defaults_file(ConnectionInfo(user="u", password="p")) as second:
            assert mine.exists() and second.exists() and live.exists()
    assert not stranded.exists() and not legacy.exists()
    assert recent_legacy.exists() and live.exists()
    assert not mine.exists()
