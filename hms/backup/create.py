"""`hms backup create`: a consistent, checked, compressed dump with its manifest.

The dump tool runs with --single-transaction. To record exact row counts of the
same snapshot, our own session takes FLUSH TABLES WITH READ LOCK,
opens its snapshot, starts the dump tool and releases the lock as soon as the tool's
snapshot has begun: writers wait milliseconds, both snapshots see the same commits.
The file is written under a hidden temporary name, checked, fsynced and only then
renamed into the list.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pymysql

from .. import dialect as dialects
from .. import errcodes
from ..connection import ConnectionInfo, error_code, server_message, session
from . import binlog, contents, encryption, signing
from .dump import run_dump
from .manifest import (
    PARTIAL_PREFIX,
    Backup,
    BackupError,
    Manifest,
    manifest_path,
    new_name,
    open_private,
    write_json_atomically,
)
from .signing import PRIVATE_DIR
from .stream import DumpStream, HashingWriter

LOCK_WAIT_SECONDS = 30
SNAPSHOT_WAIT_SECONDS = 120
NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
STALE_PARTIAL_SECONDS = 6 * 3600


def create_backup(info: ConnectionInfo, directory: Path, *,
                  progress: Callable[[int], None] | None = None,
                  on_started: Callable[[subprocess.Popen], None] | None = None,
                  key_file: Path | None = None, extra: dict | None = None) -> Backup:
    """Return the new Backup of database `info.database`, written to `directory`.

    `progress` gets the number of uncompressed bytes as they are written;
    `on_started` gets the dump tool's process (tests use it to kill a dump). The manifest
    is signed with the key in `key_file` (default $HMS_HOME/backup.key, made on first use).
    `extra` is recorded and signed with it, over the manifest's own fields (a replica's
    backup: {"taken_from": ..., "binlog": the snapshot's place in the primary's binary log}).
    """
    database = info.database
    if not database:
        raise BackupError("no database was named", "Pass --database or set HMS_DATABASE")
    directory = Path(directory)
    _prepare_directory(directory)
    key = signing.load_key(key_file, create=True)
    started, started_at = time.monotonic(), datetime.now(timezone.utc)
    with session(info, database=None, read_timeout=None) as conn:
        dialect = dialects.for_connection(conn)
        dump_bin = dialect.dump_binary()
        if dump_bin is None:
            raise BackupError(f"no {' or '.join(dialect.dump_names)} was found on PATH",
                              "Install the server's client package (mariadb-client or mysql-client)")
        _check_database(conn, database)
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            version = cur.fetchone()[0]
        name = new_name(database, started_at)
        final = directory / name
        partial = directory / (PARTIAL_PREFIX + name)
        try:
            rows, sink, stream, coordinates = _dump(conn, info, dialect, dump_bin, partial, progress, on_started)
            objects = contents.object_digests(conn, database)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
    manifest = Manifest(database=database, created_at=started_at.isoformat(timespec="seconds"),
                        bytes=sink.bytes, sha256=sink.sha256.hexdigest(), server_version=version,
                        dump_tool=Path(dump_bin).name, tables=rows, digests=stream.digests, objects=objects,
                        seconds=round(time.monotonic() - started, 3),
                        binlog=coordinates.as_dict() if coordinates else None)
    recorded = {**manifest.as_dict(), **(extra or {})}
    manifest = Manifest.from_dict(recorded)
    try:
        os.replace(partial, final)
        write_json_atomically(manifest_path(final), signing.sign(recorded, key))
        _fsync_directory(directory)
    except OSError as exc:
        for path in (partial, final, manifest_path(final)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise _write_error(exc, directory) from None
    return Backup(path=final, manifest=manifest, intact=True, signed=True)


def _dump(conn, info, dialect, dump_bin, partial: Path, progress, on_started):
    """Run the dump into `partial`; return (row counts of the same snapshot, sink, stream, binlog coordinates)."""
    try:
        handle = open_private(partial)
    except OSError as exc:
        raise _write_error(exc, partial.parent) from None
    with handle:
        sink = encryption.sink(HashingWriter(handle))  # encrypted when the installation has a backup key
        counts: dict[str, int] = {}
        coordinates = _lock_and_snapshot(conn)

        def during(stream: DumpStream, proc: subprocess.Popen) -> None:
            try:
                if on_started:
                    on_started(proc)
                stream.snapshot_started.wait(SNAPSHOT_WAIT_SECONDS)
            finally:
                _unlock(conn)
            try:
                counts.update(contents.row_counts(conn, info.database))
            except pymysql.err.MySQLError as exc:
                raise BackupError(f"counting rows in the dump's snapshot failed: {server_message(exc)}",
                                  "Check the account may SELECT every table") from None
            finally:
                with contextlib.suppress(pymysql.err.MySQLError):
                    conn.rollback()

        try:
            stream = run_dump(info, dialect, dump_bin, sink, progress=progress, during=during)
        except OSError as exc:
            raise _write_error(exc, partial.parent) from None
        finally:
            with contextlib.suppress(pymysql.err.MySQLError):
                _unlock(conn)
        try:
            encryption.finish(sink)
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as exc:
            raise _write_error(exc, partial.parent) from None
    return counts, sink, stream, coordinates


def _lock_and_snapshot(conn) -> binlog.Coordinates | None:
    """Block commits, open this session's consistent snapshot (lock still held); return where the
    binary log stands at it (None when the binary log is off)."""
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION lock_wait_timeout = %s", (LOCK_WAIT_SECONDS,))
            cur.execute("FLUSH TABLES WITH READ LOCK")
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        return binlog.current(conn)
    except pymysql.err.MySQLError as exc:
        if error_code(exc) in (errcodes.SPECIFIC_ACCESS_DENIED, errcodes.ACCESS_DENIED):
            raise BackupError("the account may not take a consistent snapshot (FLUSH TABLES WITH READ LOCK "
                              "needs the RELOAD privilege)",
                              "Grant it the privileges listed under `hms backup create --help`") from None
        raise BackupError(f"taking a consistent snapshot failed: {server_message(exc)}",
                          "Wait for long-running statements to finish and try again") from None


def _unlock(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("UNLOCK TABLES")


def _check_database(conn, database: str) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,))
        if cur.fetchone()[0] == 0:
            raise BackupError(f"database '{database}' does not exist (or the account cannot see it)",
                              "Check --database, or create it with `hms db migrate`")


def _prepare_directory(directory: Path) -> None:
    """Create the backup directory, or take an existing one back to the owner only (0700)."""
    try:
        directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"the backup directory {directory} cannot be created ({exc.strerror})",
                          "Set HMS_BACKUP_DIR to a writable directory") from None
    try:
        if directory.stat().st_mode & 0o777 != PRIVATE_DIR:
            directory.chmod(PRIVATE_DIR)  # backups hold every patient row: nobody else may list them
    except OSError as exc:
        raise BackupError(f"the backup directory {directory} cannot be made private ({exc.strerror})",
                          "Set HMS_BACKUP_DIR to a directory this user owns") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise BackupError(f"the backup directory {directory} is not writable",
                          "Set HMS_BACKUP_DIR to a writable directory")
    remove_stale_partials(directory)


def remove_stale_partials(directory: Path, older_than: float = STALE_PARTIAL_SECONDS) -> list[Path]:
    """Delete partial files left by a killed `hms` process; return what was removed.

    A dump in progress rewrites its partial file continuously, so only files untouched
    for `older_than` seconds are taken for leftovers.
    """
    removed = []
    cutoff = time.time() - older_than
    for path in directory.glob(PARTIAL_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
    return removed


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_error(exc: OSError, directory: Path) -> BackupError:
    if exc.errno in NO_SPACE:
        return BackupError(f"not enough space to write the backup in {directory}",
                           "Free some space or set HMS_BACKUP_DIR to a larger disk; nothing was kept")
    return BackupError(f"writing the backup in {directory} failed ({exc.strerror or exc})",
                       "Check HMS_BACKUP_DIR is writable; nothing was kept")
