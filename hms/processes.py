"""Whether a process is still running: how leftovers of a killed run are told from a live run's."""

from __future__ import annotations

import os
from pathlib import Path


def process_alive(pid: int) -> bool:
    """True when process `pid` exists (ours or another user's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


def server_pid(pid_file: Path, config_file: Path | None = None) -> int | None:
    """The pid a server's pid file names, while that process runs.

    With `config_file`, only when that process was started with `--defaults-file=config_file`,
    as hms starts every server: a server that was killed leaves its pid file behind, and the
    pid it names may belong to another process by now (another server, anything), which must
    not be stopped, killed or reniced in the server's name."""
    try:
        pid = int(Path(pid_file).read_text().strip())
    except (OSError, ValueError):
        return None
    if not process_alive(pid):
        return None
    if config_file is None or not Path("/proc/self/cmdline").exists():
        return pid   # without /proc there is nothing more to check
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return None  # ended since
    except OSError:
        return pid   # a process we may not inspect: alive is all we know
    return pid if f"--defaults-file={config_file}".encode() in command else None
