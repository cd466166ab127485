"""The directory a seed run writes its chunk files to, and the leftovers of killed runs.

A spool is named hms-seed-<pid>-<random> after the run that made it. A run killed with -9
cannot delete its own (tens of MB per kill), so each run first deletes the spools of
processes that are gone, and unnamed ones (from before) untouched for an hour.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from hms.processes import process_alive

PREFIX = "hms-seed-"
NAME = re.compile(r"^hms-seed-(?:(\d+)-)?[A-Za-z0-9_]+$")
UNNAMED_STALE_SECONDS = 3600


def create(parent: Path) -> Path:
    """A new, empty spool directory under `parent`, named after this process."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))


def remove_stale(parent: Path) -> list[Path]:
    """Delete the spools under `parent` left by seed runs that are gone; return them."""
    removed = []
    for path in Path(parent).glob(f"{PREFIX}*"):
        match = NAME.fullmatch(path.name)
        try:
            stat = path.lstat()
        except FileNotFoundError:
            continue
        if not match or not path.is_dir() or path.is_symlink() or stat.st_uid != os.getuid():
            continue
        pid = match.group(1)
        stale = (not process_alive(int(pid)) if pid
                 else time.time() - stat.st_mtime > UNNAMED_STALE_SECONDS)
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
