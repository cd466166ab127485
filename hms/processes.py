"""Whether a process is still running: how leftovers of a killed run are told from a live run's."""

from __future__ import annotations

import os


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
