"""A new server's data directory, copied from a running server by mariadb-backup.

No downtime: mariadb-backup copies the files while the source keeps serving, and
blocks commits only for its own short BACKUP STAGE BLOCK_COMMIT (milliseconds on a
small server), where it records the binary-log position and GTID the copy matches.
`--prepare` then applies the copied redo log, leaving a data directory a server can
start on; the replica is attached at that GTID. The tool is run by
hms/backup/mariadb_backup.py (the physical backups' runner: the login in a 0600
option file, never on its command line).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from .. import dialect as dialects
from ..backup import mariadb_backup
from ..server import EmbeddedServer
from .errors import ReplicationError

# What mariadb-backup writes beside the data, not needed by the server.
INFO_FILES = ("backup-my.cnf", "xtrabackup_checkpoints", "xtrabackup_info", "xtrabackup_binlog_info",
              "mariadb_backup_checkpoints", "mariadb_backup_info", "mariadb_backup_binlog_info")


def copy_server(source: EmbeddedServer, datadir: Path) -> str:
    """Copy the running `source` into the new directory `datadir`, prepared; return the copy's GTID.

    `datadir` must not exist. On failure nothing is left in `datadir`.
    """
    tool = dialects.physical_backup_binary(dialects.MARIADB)
    if tool is None:
        raise ReplicationError(*dialects.physical_backup_missing(dialects.MARIADB, ""))
    if datadir.exists():
        raise ReplicationError(f"{datadir} already exists", "Remove it, or choose another replica name")
    try:
        mariadb_backup.backup(tool, source.connection_info(), datadir, str(source.datadir))
        mariadb_backup.prepare(tool, datadir)
        coordinates = mariadb_backup.read_binlog_info(datadir)
    except BaseException:
        shutil.rmtree(datadir, ignore_errors=True)
        raise
    if coordinates is None:
        shutil.rmtree(datadir, ignore_errors=True)
        raise ReplicationError("mariadb-backup recorded no binary-log position for the copy",
                               "Check that the primary runs with its binary log on (`hms server start` turns it on)")
    for name in INFO_FILES:
        with contextlib.suppress(FileNotFoundError):
            (datadir / name).unlink()
    return coordinates["gtid"]
