"""Running mariadb-backup: --backup of the live server, --prepare and --move-back of a copy.

The login reaches the tool through a 0600 option file passed as --defaults-file (so no
system my.cnf is read either), never its command line. Its files are written with
umask 077. It dies with the process that started it (Linux), so a killed `hms` never
leaves a backup running that holds the server's backup locks. A backup with
`low_priority` (hms backup create --physical) runs with one copy thread at the lowest CPU
and I/O priority (priority.py): the live server's clients come first, the backup takes
longer.
"""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path
from typing import Callable

from ..connection import ConnectionInfo
from ..optionfiles import defaults_file
from . import priority
from .errors import BackupError

TAIL_LINES = 40
PREPARE_MEMORY = 128 << 20
# "[00] FATAL ERROR: 2025-01-01 02:00:00 failed to ..." / "2025-01-01 2:00:00 0 [ERROR] InnoDB: ..."
_STAMP = re.compile(r"^(\[\d+\]\s*)?(FATAL ERROR:\s*)?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*)?(\d+\s+)?")
_FAILURE = re.compile(r"FATAL ERROR|\[ERROR\]|\bError\b|failed|denied|No space left", re.IGNORECASE)


def backup(binary: str, login: ConnectionInfo, target: Path, datadir: str, *,
           incremental_lsn: int | None = None, on_line: Callable[[str], None] | None = None,
           on_started: Callable[[subprocess.Popen], None] | None = None, low_priority: bool = False) -> None:
    """Copy the live server's files into the new directory `target`; BackupError when the tool fails.

    `on_line` sees each line the tool logs, as it logs it; `on_started` gets its process;
    `low_priority`: one copy thread at the lowest CPU and I/O priority (else two, at normal).
    """
    with defaults_file(login) as cnf:
        args = [binary, f"--defaults-file={cnf}", "--backup", f"--target-dir={target}", f"--datadir={datadir}",
                f"--parallel={1 if low_priority else 2}"]
        if incremental_lsn is not None:
            args.append(f"--incremental-lsn={int(incremental_lsn)}")
        _run(args, "the physical backup", on_line=on_line, on_started=on_started, low_priority=low_priority)


def prepare(binary: str, target: Path, *, incremental_dir: Path | None = None,
            use_memory: int = PREPARE_MEMORY, options_file: Path | None = None) -> None:
    """Apply the redo log to the copy in `target` (and first the incremental in `incremental_dir`).

    `options_file`: read only these options (an encrypted copy's backup-my.cnf, which names
    its key plugin's options: physical_keys.py); else none at all."""
    defaults = f"--defaults-file={options_file}" if options_file is not None else "--no-defaults"
    args = [binary, defaults, "--prepare", f"--target-dir={target}", f"--use-memory={int(use_memory)}"]
    if incremental_dir is not None:
        args.append(f"--incremental-dir={incremental_dir}")
    _run(args, "preparing the copy" + (f" with {incremental_dir.name}" if incremental_dir else ""))


def move_back(binary: str, prepared: Path, datadir: Path) -> None:
    """Move a prepared copy's files into `datadir` (created; same filesystem: renames)."""
    _run([binary, "--no-defaults", "--move-back", f"--target-dir={prepared}", f"--datadir={datadir}"],
         "moving the prepared copy into place")


def read_checkpoints(target: Path) -> dict[str, str]:
    """The tool's xtrabackup_checkpoints: backup_type, from_lsn, to_lsn, last_lsn."""
    values = {}
    for line in _read(target / "xtrabackup_checkpoints").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    if not {"backup_type", "from_lsn", "to_lsn", "last_lsn"} <= set(values):
        raise BackupError("mariadb-backup wrote no complete xtrabackup_checkpoints", "Check the tool's version")
    return values


def read_binlog_info(target: Path) -> dict | None:
    """The binary log coordinates the tool recorded at its snapshot; None when the server logs none.

    MariaDB 10.11 writes xtrabackup_binlog_info, later versions mariadb_backup_binlog_info:
    `<file>\\t<position>[\\t<gtid>]`.
    """
    for name in ("mariadb_backup_binlog_info", "xtrabackup_binlog_info"):
        path = target / name
        if path.is_file():
            fields = _read(path).strip().split("\t")
            if len(fields) >= 2 and fields[1].isdigit():
                return {"file": fields[0], "position": int(fields[1]),
                        "gtid": fields[2] if len(fields) > 2 else ""}
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise BackupError(f"{path.name} cannot be read ({exc.strerror})", "Check the tool's output") from None


def _run(args: list[str], doing: str, *, on_line=None, on_started=None, low_priority: bool = False) -> None:
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                umask=0o077, preexec_fn=_low_priority_child if low_priority else _die_with_parent)
    except OSError as exc:
        raise BackupError(f"{Path(args[0]).name} could not be started ({exc.strerror})",
                          "Check mariadb-backup is installed") from None
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    try:
        if on_started:
            on_started(proc)
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            tail.append(line)
            if on_line:
                on_line(line)
        code = proc.wait()
    except BaseException:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        raise
    finally:
        proc.stderr.close()
    if code != 0:
        raise _failure(doing, code, list(tail))


def _failure(doing: str, code: int, tail: list[str]) -> BackupError:
    """Say what the tool reported, and how to fix it."""
    reason = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
    reported = [line for line in tail if _FAILURE.search(line) and "[Note]" not in line]
    detail = _STAMP.sub("", reported[-1]).strip() if reported else ""
    lowered = detail.lower()
    if "no space left" in lowered:
        fix = "Free some space or set HMS_BACKUP_DIR (or TMPDIR) to a larger disk; nothing was kept"
    elif "access denied" in lowered or "privilege" in lowered:
        fix = "The backup account lacks a privilege mariadb-backup needs; see `hms backup create --help`"
    elif "permission denied" in lowered or "can't open" in lowered or "cannot open" in lowered:
        fix = ("mariadb-backup must read the server's data directory: run hms as root or as the "
               "server's own account")
    else:
        fix = "Check the server log and the free space, then try again; nothing was kept"
    return BackupError(f"{doing} failed ({reason})" + (f": {detail}" if detail else ""), fix)


def _low_priority_child() -> None:
    """In the child: die with the parent, at the lowest CPU and I/O priority."""
    _die_with_parent()
    priority.in_child()


def _die_with_parent() -> None:
    """In the child: be killed when the process that started it dies (Linux's PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: a killed hms may leave the tool to finish on its own
