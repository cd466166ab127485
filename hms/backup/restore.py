"""`hms backup restore` and `hms backup verify`: load a trusted backup into a database
the tool creates, and prove a backup restores to what it recorded."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pymysql

from .. import dialect as dialects
from .. import errcodes
from .. import scratch as scratches
from ..connection import ConnectionInfo, error_code, server_message, session
from ..databases import create_database, drop_database
from ..errors import HmsError
from ..identifiers import check_database_name
from . import contents, in_progress
from .create import create_backup
from .dump import dump_digests
from .manifest import Backup, BackupError, open_backup
from .replay import load_into
from .restore_account import restore_account, settle

SCRATCH_PREFIX = "hms_bkverify_"

TARGET_STATE = """
SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s),
       (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s)
     + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s)
     + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s)
"""


@dataclass
class RestoreResult:
    """What a restore did."""

    backup: Backup
    database: str
    safety_backup: Backup | None = None
    cleaned: in_progress.RestoreMark | None = None  # an interrupted restore's half-restored database, dropped


@dataclass
class VerifyResult:
    """What a verify found: every difference, and whether the live source was compared."""

    backup: Backup
    problems: list[str] = field(default_factory=list)
    source_compared: bool = False
    definer_objects: list[str] = field(default_factory=list)  # that sql/ does not define

    @property
    def ok(self) -> bool:
        return not self.problems


def restore_backup(info: ConnectionInfo, path: Path | str, into: str, *, replace: bool = False,
                   backup_dir: Path | None = None,
                   progress: Callable[[int], None] | None = None, key_file: Path | None = None,
                   trust_unsigned: bool = False, allow_definer_objects: bool = False) -> RestoreResult:
    """Restore backup `path` into database `into`, creating it; return what was done.

    An existing non-empty `into` is refused unless `replace`, and then first saved to
    a safety backup in `backup_dir`. On failure nothing the restore made is left.
    The dump is replayed as `into`'s restore account (restore_account.py), never as
    `info`; definer-rights objects that sql/ does not define are refused unless
    `allow_definer_objects`; an unsigned backup is refused unless `trust_unsigned`.
    """
    check_database_name(into)
    backup = open_backup(path, key_file=key_file, trust_unsigned=trust_unsigned)
    with session(info, database=None) as conn:
        dialect = dialects.for_connection(conn)
        in_progress.lock(conn, into)  # held until this session ends: the mark below is live while it is
        cleaned = in_progress.read(conn, into)  # a mark now is a killed run's
        if cleaned is not None:
            _drop(conn, into, f"dropping the half-restored '{into}' of an interrupted restore")
        exists, objects = _target_state(conn, into)
        safety = None
        if exists and objects:
            if not replace:
                raise BackupError(f"database '{into}' exists and is not empty",
                                  "Restore into a new name, or add --replace to overwrite it "
                                  "(a safety backup is taken first)")
            if backup_dir is None:
                raise BackupError("no directory for the safety backup", "Set HMS_BACKUP_DIR")
            safety = create_backup(info.with_database(into), backup_dir, key_file=key_file)
        if exists:
            _drop(conn, into, f"emptying database '{into}'")
        _create_database(conn, dialect, into)
        try:
            in_progress.mark(conn, into, str(backup.path), backup.manifest.sha256, safety and str(safety.path))
            foreign = _load_restricted(conn, info, dialect, backup.path, into, progress)
            if foreign and not allow_definer_objects:
                raise BackupError(f"{backup.name} holds definer-rights objects that sql/ does not define: "
                                  + ", ".join(foreign) + "; nothing was kept",
                                  "Check what they do; if you trust them, restore with --allow-definer-objects "
                                  "(they run with the database's privileges only)")
            in_progress.unmark(conn, into)
        except BaseException as exc:
            _drop(conn, into, f"dropping the half-restored '{into}'")
            if safety is not None and isinstance(exc, HmsError):
                raise BackupError(exc.what, _put_back(info, conn, dialect, safety, into)) from None
            if exists and not objects:
                _create_database(conn, dialect, into)  # it was there and empty: leave it so
            raise
    return RestoreResult(backup=backup, database=into, safety_backup=safety, cleaned=cleaned)


def verify_backup(info: ConnectionInfo, path: Path | str, *, compare_source: bool = True,
                  progress: Callable[[int], None] | None = None, key_file: Path | None = None,
                  trust_unsigned: bool = False) -> VerifyResult:
    """Return every difference between a restore of `path`, its manifest and its live source.

    The backup is restored, as a scratch restore account, into a scratch database that
    is always dropped (and the account with it); the scratch databases of killed runs
    are dropped first (see hms/scratch.py).
    """
    backup = open_backup(path, key_file=key_file, trust_unsigned=trust_unsigned)
    manifest = backup.manifest
    result = VerifyResult(backup=backup)
    with session(info, database=None, read_timeout=None) as conn:
        dialect = dialects.for_connection(conn)
        scratches.remove_stale(conn, SCRATCH_PREFIX)
        scratch = scratches.scratch_name(conn, SCRATCH_PREFIX)
        _create_database(conn, dialect, scratch)
        try:
            result.definer_objects = _load_restricted(conn, info, dialect, backup.path, scratch, progress,
                                                      scratch=True)
            restored = contents.describe(conn, scratch)
            restored["digests"] = dump_digests(info, dialect, scratch)
            recorded = {"tables": manifest.tables, "digests": manifest.digests, "objects": manifest.objects}
            result.problems += contents.compare("the restored copy", restored, "the manifest", recorded)
            source_exists, _ = _target_state(conn, manifest.database)
            if compare_source and source_exists:
                result.source_compared = True
                live = f"the live database '{manifest.database}'"
                with _snapshot(conn):
                    current = contents.describe(conn, manifest.database)
                result.problems += contents.compare("the restored copy", restored, live, current)
        finally:
            _drop(conn, scratch, "dropping the scratch database")
    return result


def _put_back(info: ConnectionInfo, conn, dialect, safety: Backup, into: str) -> str:
    """Reload the safety backup into `into` after a failed --replace; return what to tell the user."""
    try:
        _create_database(conn, dialect, into)
        in_progress.mark(conn, into, str(safety.path), safety.manifest.sha256)
        _load_restricted(conn, info, dialect, safety.path, into)  # its own previous objects: allowed back
        in_progress.unmark(conn, into)
    except BackupError:
        _drop(conn, into, f"dropping '{into}'")
        return (f"Putting the previous contents back failed too; they are in {safety.path}: "
                f"restore them with `hms backup restore {safety.path} --into {into}`")
    return f"'{into}' was put back as it was, from the safety backup {safety.path.name}"


def _load_restricted(conn, info: ConnectionInfo, dialect, path: Path, database: str, progress=None, *,
                     scratch: bool = False) -> list[str]:
    """Replay `path` into `database` as its restore account; return the definer-rights objects sql/ lacks."""
    try:
        with restore_account(conn, info, database, scratch=scratch) as login:
            load_into(login, dialect, path, database, progress)
            return settle(conn, login, database)
    except pymysql.err.MySQLError as exc:
        raise _refused(exc, f"preparing the restore account for '{database}'") from None


@contextlib.contextmanager
def _snapshot(conn):
    with conn.cursor() as cur:
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
    try:
        yield
    finally:
        conn.rollback()


def target_in_use(conn, name: str) -> bool:
    """True when database `name` exists and holds something: a restore without --replace refuses it."""
    exists, objects = _target_state(conn, name)
    return exists and objects > 0


def _target_state(conn, name: str) -> tuple[bool, int]:
    """Return (exists, number of tables, routines and events in it)."""
    with conn.cursor() as cur:
        cur.execute(TARGET_STATE, (name, name, name, name))
        exists, objects = cur.fetchone()
    return bool(exists), int(objects or 0)


def _create_database(conn, dialect: dialects.Dialect, name: str) -> None:
    try:
        create_database(conn, name, dialect)
    except pymysql.err.MySQLError as exc:
        if error_code(exc) == errcodes.DATABASE_EXISTS:
            raise BackupError(f"database '{name}' was created by someone else meanwhile",
                              "Pick another name") from None
        raise _refused(exc, f"creating database '{name}'") from None


def _drop(conn, name: str, doing: str) -> None:
    try:
        drop_database(conn, name)
    except pymysql.err.MySQLError as exc:
        raise _refused(exc, doing) from None


def _refused(exc: pymysql.err.MySQLError, doing: str) -> BackupError:
    if error_code(exc) in (errcodes.DB_ACCESS_DENIED, errcodes.ACCESS_DENIED, errcodes.SPECIFIC_ACCESS_DENIED):
        return BackupError(f"{doing} was refused: {server_message(exc)}",
                           "Use an account that may create and drop databases (e.g. the hms_dba role)")
    return BackupError(f"{doing} failed: {server_message(exc)}", "Check the server and try again")
