"""`hms backup verify` and `hms backup restore --into` for a physical backup.

Both prepare a checked copy of the backup's chain and start it as a scratch server
(scratch_server.py). Verify compares what that server holds with the manifest (and the
live database). Restore copies the one database from it into a new database on the live
server the way a logical restore does, as that database's restricted restore account
(restore.py, restore_account.py): the live database is never touched.

The seam for point-in-time recovery: `before_copy(scratch_login, coordinates)` runs on the
scratch server before the copy, with the binary log coordinates of the backup's snapshot
({"file", "position", "gtid"}) from which a roll-forward starts.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Callable

from .. import dialect as dialects
from ..connection import ConnectionInfo, session
from ..databases import database_exists
from ..identifiers import check_database_name
from . import contents
from .create import create_backup
from .errors import BackupError
from .physical_chain import open_chain
from .restore import (
    RestoreResult,
    VerifyResult,
    _snapshot,
    _target_state,
    restore_backup,
)
from .scratch_server import scratch_server

BeforeCopy = Callable[[ConnectionInfo, "dict | None"], None]


def physical_tools() -> str:
    """Return mariadb-backup's path for preparing a copy here; BackupError when this machine cannot."""
    found = dialects.find_server_binary()
    if found is None:
        raise BackupError("no MariaDB server (mariadbd) was found to start the restored copy", dialects.INSTALL_HINT)
    server, dialect = found
    if not dialect.is_mariadb:
        raise BackupError(f"a physical backup restores on MariaDB only, and this machine's server ({server}) is MySQL",
                          "Restore it on a machine with MariaDB, or restore a logical backup here")
    binary = dialects.physical_backup_binary(dialect)
    if binary is None:
        raise BackupError(*dialects.physical_backup_missing(dialect, ""))
    return binary


def verify_physical(info: ConnectionInfo | None, path: Path | str, *, compare_source: bool = True,
                    progress: Callable[[int], None] | None = None, key_file: Path | None = None,
                    trust_unsigned: bool = False) -> VerifyResult:
    """Return every difference between a prepared copy of `path`, its manifest and (with `info`) the live database.

    Every file of the chain is checked against its manifest before anything is prepared.
    """
    chain = open_chain(path, key_file=key_file, trust_unsigned=trust_unsigned)
    tip = chain[-1]
    manifest = tip.manifest
    result = VerifyResult(backup=tip)
    binary = physical_tools()
    with scratch_server(chain, binary=binary, progress=progress) as scratch, \
            session(scratch.info, database=None, read_timeout=None) as conn:
        if not database_exists(conn, manifest.database):
            result.problems.append(f"database {manifest.database}: in the manifest, missing from the restored copy")
            return result
        with _snapshot(conn):
            restored = contents.describe(conn, manifest.database)
    recorded = {"tables": manifest.tables, "checksums": manifest.checksums, "objects": manifest.objects}
    result.problems += contents.compare("the restored copy", restored, "the manifest", recorded)
    if compare_source and info is not None:
        with session(info, database=None, read_timeout=None) as live:
            if database_exists(live, manifest.database):
                result.source_compared = True
                with _snapshot(live):
                    current = contents.describe(live, manifest.database)
                result.problems += contents.compare("the restored copy", restored,
                                                    f"the live database '{manifest.database}'", current)
    return result


def restore_physical_into(info: ConnectionInfo, path: Path | str, into: str, *,
                          before_copy: BeforeCopy | None = None, replace: bool = False,
                          backup_dir: Path | None = None, progress: Callable[[int], None] | None = None,
                          key_file: Path | None = None, trust_unsigned: bool = False,
                          allow_definer_objects: bool = False) -> RestoreResult:
    """Restore the database of physical backup `path` into new database `into` on the server `info` names."""
    check_database_name(into)
    chain = open_chain(path, key_file=key_file, trust_unsigned=trust_unsigned)
    tip = chain[-1]
    database = tip.manifest.database
    with session(info, database=None) as conn:
        exists, objects = _target_state(conn, into)
    if exists and objects and not replace:  # said before the copy is prepared, not after
        raise BackupError(f"database '{into}' exists and is not empty",
                          "Restore into a new name, or add --replace to overwrite it (a safety backup is taken first)")
    binary = physical_tools()
    with scratch_server(chain, binary=binary, progress=progress) as scratch:
        if before_copy is not None:
            before_copy(scratch.info, tip.manifest.binlog)
        with session(scratch.info, database=None) as conn:
            if not database_exists(conn, database):
                raise BackupError(f"{tip.name} holds no database '{database}'", "Use another backup")
        with _private_directory() as work:
            dump = create_backup(scratch.info.with_database(database), work, key_file=key_file)
            done = restore_backup(info, dump.path, into, replace=replace, backup_dir=backup_dir, key_file=key_file,
                                  allow_definer_objects=allow_definer_objects)
    return RestoreResult(backup=tip, database=into, safety_backup=done.safety_backup, cleaned=done.cleaned)


@contextlib.contextmanager
def _private_directory():
    """A 0700 temporary directory for the copy's dump, removed however the block ends."""
    with tempfile.TemporaryDirectory(prefix="hms-physical-copy-") as name:
        yield Path(name)
