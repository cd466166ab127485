"""A new server's data directory, copied from a running server by mariadb-backup.

No downtime: mariadb-backup copies the files while the source keeps serving, and
blocks commits only for its own short BACKUP STAGE BLOCK_COMMIT (milliseconds on a
small server), where it records the binary-log position and GTID the copy matches.
`--prepare` then applies the copied redo log, leaving a data directory a server can
start on; the replica is attached at that GTID.

The password reaches mariadb-backup through a 0600 option file that includes the
source's own my.cnf (datadir, InnoDB settings), never its command line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

from .. import dialect as dialects
from ..connection import ConnectionInfo
from ..optionfiles import CLIENT_FILE_PREFIX, remove_stale_client_files
from ..server import EmbeddedServer
from .errors import ReplicationError

# What mariadb-backup writes beside the data: where the copy stands in the binary log.
BINLOG_INFO = ("mariadb_backup_binlog_info", "xtrabackup_binlog_info")
INFO_FILES = ("backup-my.cnf", "xtrabackup_checkpoints", "xtrabackup_info", "mariadb_backup_checkpoints",
              "mariadb_backup_info", *BINLOG_INFO)
TOOL_TIMEOUT = 6 * 3600


def copy_server(source: EmbeddedServer, datadir: Path, log: Path) -> str:
    """Copy the running `source` into the new directory `datadir`, prepared; return the copy's GTID.

    `datadir` must not exist. The tool's messages go to `log`. On failure nothing is left
    in `datadir`.
    """
    tool = dialects.physical_backup_binary(dialects.MARIADB)
    if tool is None:
        raise ReplicationError("mariadb-backup was not found on PATH",
                               "Install it: `sudo apt-get install mariadb-backup`")
    if datadir.exists():
        raise ReplicationError(f"{datadir} already exists", "Remove it, or choose another replica name")
    try:
        with _login_file(source) as cnf:
            _run(tool, [f"--defaults-file={cnf}", "--backup", f"--target-dir={datadir}"], log, "copying the primary")
        _run(tool, [f"--defaults-file={datadir / 'backup-my.cnf'}", "--prepare", f"--target-dir={datadir}"],
             log, "preparing the copy")
        gtid = binlog_gtid(datadir)
    except BaseException:
        shutil.rmtree(datadir, ignore_errors=True)
        raise
    for name in INFO_FILES:
        with contextlib.suppress(FileNotFoundError):
            (datadir / name).unlink()
    return gtid


def binlog_gtid(datadir: Path) -> str:
    """The GTID position a prepared copy holds, from the binlog info mariadb-backup wrote."""
    for name in BINLOG_INFO:
        path = datadir / name
        if path.is_file():
            fields = path.read_text().strip().split("\t")
            return fields[2].strip() if len(fields) >= 3 else ""
    raise ReplicationError(f"mariadb-backup recorded no binary-log position in {datadir}",
                           "Check that the primary runs with its binary log on (`hms server start` turns it on)")


def _run(tool: str, args: list[str], log: Path, doing: str) -> None:
    with open(log, "ab") as out:
        result = subprocess.run([tool, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                timeout=TOOL_TIMEOUT)
    if result.returncode != 0:
        raise ReplicationError(f"{doing} with mariadb-backup failed: {_last_error(log)}",
                               f"See {log}; fix what it says and run the command again")


def _last_error(log: Path) -> str:
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    errors = [line for line in lines if "error" in line.lower() or "failed" in line.lower()]
    return (errors or lines or ["no output"])[-1][:300]


@contextlib.contextmanager
def _login_file(source: EmbeddedServer) -> Iterator[Path]:
    """A 0600 option file: the source's my.cnf, then its administrative login (named like
    hms.optionfiles' temporary files, so a killed run's copy is removed by the next one)."""
    info: ConnectionInfo = source.connection_info()
    remove_stale_client_files()
    fd, name = tempfile.mkstemp(prefix=f"{CLIENT_FILE_PREFIX}{os.getpid()}-", suffix=".cnf")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"!include {source.config_file}\n[client]\nuser={_quoted(info.user)}\n"
                         f"password={_quoted(info.password)}\nsocket={_quoted(info.unix_socket or '')}\n")
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
