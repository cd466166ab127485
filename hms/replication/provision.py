"""A new server's data directory, copied from a running server by mariadb-backup.

No downtime: mariadb-backup copies the files while the source keeps serving, and
blocks commits only for its own short BACKUP STAGE BLOCK_COMMIT (milliseconds on a
small server), where it records the binary-log position and GTID the copy matches.
`--prepare` then applies the copied redo log, leaving a data directory a server can
start on; the replica is attached at that GTID. The tool is run by
hms/backup/mariadb_backup.py (the physical backups' runner: the login in a 0600
option file, never on its command line). An encrypted primary's copy is taken and
prepared with its key file's passphrase at hand for the tool only, and the replica's
home gets a copy of its keys/ (hms/backup/physical_keys.py).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from .. import dialect as dialects
from ..backup import mariadb_backup, physical_keys
from ..connection import session
from ..server import EmbeddedServer, protection
from ..server.runas import server_account
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
    info = source.connection_info()
    with session(info, database=None) as conn:
        live = physical_keys.live_keys(conn)  # an encrypted primary: refused here without HMS_KEY_PASSPHRASE
    keys = physical_keys.home_keys(source.home) if protection.load(source.home).encrypt else None
    try:
        with physical_keys.handed_to_tool(live):
            mariadb_backup.backup(tool, info, datadir, str(source.datadir))
        with physical_keys.preparing(keys, [datadir]) as options:
            mariadb_backup.prepare(tool, datadir, options_file=options)
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
    physical_keys.adopt(keys, datadir.parent, server_account().pw_uid)  # it starts encrypting, with the keys
    return coordinates["gtid"]
