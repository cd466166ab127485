"""`hms backup create --physical [--incremental]`: the server's files, copied by mariadb-backup.

A physical backup is a directory `<database>_<UTC time>.physical` in the backup directory:
mariadb-backup's copy under `data/` and a signed `manifest.json` listing every file's size
and sha256, the chain (full, or incremental on top of a parent and from which LSN), where
the binary log stood (mariadb-backup's own record of it), and the row counts, content
checksums and definitions of the database's tables and objects in that same state.

Those contents are read in the live server, in a consistent snapshot opened while
mariadb-backup holds BACKUP STAGE BLOCK_COMMIT (no commit can happen), and trusted only
when the snapshot's binary log position equals the one the tool recorded. When it does not
(the snapshot came too late on a busy server), they are read instead from a prepared copy
of the backup itself on a scratch server.

A backup runs beside the server's clients: mariadb-backup (one copy thread), the hashing
of its copy and the server thread reading the contents all run at the lowest CPU and I/O
priority (priority.py), so the backup takes longer and the clients keep their latency.

Written under `.partial-<name>` (0700, files 0600) and renamed into place only once its
manifest is written and everything is on disk: a failure removes it, and a run killed
meanwhile leaves only a hidden partial directory, which the next physical backup removes.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pymysql

from .. import dialect as dialects
from ..connection import ConnectionInfo, connect, server_message, session
from ..processes import process_alive
from . import contents, mariadb_backup, physical_files, physical_keys, priority, signing
from .backup_account import backup_account
from .create import _check_database, _fsync_directory, _prepare_directory, _write_error
from .errors import BackupError
from .manifest import (
    PARTIAL_PREFIX,
    PHYSICAL_DATA,
    PHYSICAL_MANIFEST,
    PHYSICAL_SUFFIX,
    Backup,
    Manifest,
    new_physical_name,
    write_json_atomically,
)
from .physical_chain import latest_physical, open_chain
from .scratch_server import scratch_server

OWNER_FILE = ".hms-owner"
UNOWNED_STALE_SECONDS = 3600
BLOCK_COMMIT = "Acquired locks for BACKUP STAGE BLOCK_COMMIT"
SOURCE = "SELECT @@hostname, @@datadir"
LSN = "SHOW GLOBAL STATUS LIKE 'Innodb_lsn_current'"
SNAPSHOT_POSITION = "SHOW SESSION STATUS LIKE 'Binlog_snapshot_%'"
TOOL_TYPES = {"full": "full-backuped", "incremental": "incremental"}


def create_physical_backup(info: ConnectionInfo, directory: Path, *, incremental: bool = False,
                           key_file: Path | None = None,
                           on_started: Callable | None = None, snapshot_contents: bool = True) -> Backup:
    """Return the new physical Backup of the server behind `info`, recorded for database `info.database`.

    `incremental`: only what changed since the newest physical backup of the same server and
    database in `directory`. `on_started` gets mariadb-backup's process (tests kill it);
    `snapshot_contents=False` reads the contents from a prepared copy (the fallback) at once.
    """
    database = info.database
    if not database:
        raise BackupError("no database was named", "Pass --database or set HMS_DATABASE")
    directory = Path(directory)
    with session(info, database=None, read_timeout=None) as conn:
        live = physical_keys.live_keys(conn)  # no or a wrong HMS_KEY_PASSPHRASE: refused before anything is made
        _prepare_directory(directory)
        remove_stale_partials(directory)
        key = signing.load_key(key_file, create=True)
        started, started_at = time.monotonic(), datetime.now(timezone.utc)
        dialect = dialects.for_connection(conn)
        version = conn.get_server_info().removeprefix("5.5.5-")
        binary = dialects.physical_backup_binary(dialect)
        if binary is None:
            raise BackupError(*dialects.physical_backup_missing(dialect, version))
        _check_database(conn, database)
        source = _source(conn)
        datadir = _readable(source["datadir"])
        parent = _parent(conn, directory, database, source, key_file) if incremental else None
        name = new_physical_name(database, started_at)
        partial, final = directory / (PARTIAL_PREFIX + name), directory / name
        try:
            partial.mkdir(mode=physical_files.PRIVATE_DIR)
            (partial / OWNER_FILE).write_text(f"{os.getpid()}\n")
        except OSError as exc:
            raise _write_error(exc, directory) from None
        try:
            manifest = Manifest(database=database, created_at=started_at.isoformat(timespec="seconds"), bytes=0,
                                sha256="", server_version=version, dump_tool=Path(binary).name, tables={},
                                kind="physical", source=source)
            snapshot = _copy(conn, info, dialect, binary, datadir, partial / PHYSICAL_DATA, parent, on_started,
                             live)
            with snapshot:
                manifest.binlog = mariadb_backup.read_binlog_info(partial / PHYSICAL_DATA)
                proven = snapshot_contents and snapshot.proves(manifest.binlog)
                stats = snapshot.describe(database) if proven else None
            _describe_copy(manifest, partial / PHYSICAL_DATA, parent)
            manifest.contents_from = "snapshot" if stats is not None else "prepared copy"
            if stats is None:
                stats = _contents_of_copy(Backup(path=partial, manifest=manifest), parent, binary, key_file)
            manifest.tables, manifest.checksums, manifest.objects = stats["tables"], stats["checksums"], stats["objects"]
            manifest.seconds = round(time.monotonic() - started, 3)
            _publish(partial, final, manifest, key)
        except OSError as exc:
            physical_files.remove_tree(partial)
            raise _write_error(exc, directory) from None
        except BaseException:
            physical_files.remove_tree(partial)
            raise
    return Backup(path=final, manifest=manifest, intact=True, signed=True)


def _copy(conn, info: ConnectionInfo, dialect, binary: str, datadir: str, target: Path, parent: Backup | None,
          on_started, live: physical_keys.LiveKeys | None = None) -> "_Snapshot":
    """Run mariadb-backup into `target` as the backup account; return the snapshot opened meanwhile.

    `live`: the passphrase file the server's key plugin names, there for the tool's run only."""
    snapshot = _Snapshot(info)
    try:
        with backup_account(conn, info, dialect) as login, physical_keys.handed_to_tool(live):
            lsn = int(parent.manifest.chain["to_lsn"]) if parent else None
            mariadb_backup.backup(binary, login, target, datadir, incremental_lsn=lsn,
                                  on_line=snapshot.on_line, on_started=on_started, low_priority=True)
    except BaseException:
        snapshot.close()
        raise
    return snapshot


def _describe_copy(manifest: Manifest, data: Path, parent: Backup | None) -> None:
    """Fill in the manifest's chain and file list from the tool's copy."""
    checkpoints = mariadb_backup.read_checkpoints(data)
    kind = "incremental" if parent else "full"
    if checkpoints["backup_type"] != TOOL_TYPES[kind]:
        raise BackupError(f"mariadb-backup made a '{checkpoints['backup_type']}' backup, not a {kind} one",
                          "Check the tool's version; nothing was kept")
    manifest.chain = {"type": kind, "parent": parent.name if parent else None,
                      "from_lsn": int(checkpoints["from_lsn"]), "to_lsn": int(checkpoints["to_lsn"]),
                      "last_lsn": int(checkpoints["last_lsn"])}
    physical_files.make_private(data)
    manifest.files = physical_files.digest_tree(data, low_priority=True)
    manifest.bytes = physical_files.total_bytes(manifest.files)
    manifest.sha256 = physical_files.list_digest(manifest.files)


def _contents_of_copy(backup: Backup, parent: Backup | None, binary: str, key_file: Path | None) -> dict:
    """Row counts, checksums and definitions read from a prepared copy of the new backup's chain."""
    chain = open_chain(parent.path, key_file=key_file) if parent else []
    with scratch_server([*chain, backup], binary=binary) as scratch, session(scratch.info, database=None) as conn:
        return contents.describe(conn, backup.manifest.database)


def _publish(partial: Path, final: Path, manifest: Manifest, key: bytes) -> None:
    """Write the signed manifest, flush everything, then rename the backup into the list."""
    write_json_atomically(partial / PHYSICAL_MANIFEST, signing.sign(manifest.as_dict(), key))
    (partial / OWNER_FILE).unlink()
    physical_files.fsync_tree(partial)
    os.replace(partial, final)
    _fsync_directory(final.parent)


class _Snapshot:
    """A session that opens a consistent snapshot the moment mariadb-backup blocks commits."""

    def __init__(self, info: ConnectionInfo):
        self.db = connect(info, database=None, read_timeout=None, autocommit=False)
        try:
            with self.db.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            self.thread = priority.server_thread(self.db)  # the checksums' full read, after the clients
        except BaseException:
            self.db.close()
            raise
        self.position: tuple[str, int] | None = None
        self.error: str | None = None

    def on_line(self, line: str) -> None:
        if BLOCK_COMMIT not in line or self.position is not None:
            return
        try:
            with self.db.cursor() as cur:
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                cur.execute(SNAPSHOT_POSITION)
                values = {name.lower(): value for name, value in cur.fetchall()}
            self.position = (values.get("binlog_snapshot_file", ""), int(values.get("binlog_snapshot_position", 0)))
        except (pymysql.err.MySQLError, ValueError) as exc:
            self.error = server_message(exc)  # the contents are then read from a prepared copy

    def proves(self, binlog: dict | None) -> bool:
        """True when the snapshot saw exactly the commits the backup holds (same binary log position)."""
        return (binlog is not None and self.position is not None and bool(self.position[0])
                and self.position == (binlog["file"], int(binlog["position"])))

    def describe(self, database: str) -> dict:
        try:
            return contents.describe(self.db, database)
        except pymysql.err.MySQLError as exc:
            raise BackupError(f"reading the contents of '{database}' in the backup's snapshot failed: "
                              f"{server_message(exc)}", "Check the account may SELECT every table") from None

    def close(self) -> None:
        try:
            self.thread.restore()
        finally:
            self.db.close()

    def __enter__(self) -> "_Snapshot":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _source(conn) -> dict[str, str]:
    """The server a physical backup is taken from: its host name and data directory."""
    with conn.cursor() as cur:
        cur.execute(SOURCE)
        hostname, datadir = cur.fetchone()
    return {"hostname": hostname, "datadir": datadir}


def _readable(datadir: str) -> str:
    """The server's data directory, checked to be on this machine and readable by this user."""
    path = Path(datadir)
    if not path.is_dir():
        raise BackupError(f"the server's data directory {datadir} is not on this machine",
                          "Take physical backups on the server's own machine, or a logical backup "
                          "(`hms backup create`) from here")
    if not os.access(path, os.R_OK | os.X_OK):
        raise BackupError(f"this user cannot read the server's data directory {datadir}",
                          "Run hms as root or as the server's own account (mariadb-backup copies its files)")
    return datadir


def _parent(conn, directory: Path, database: str, source: dict, key_file: Path | None) -> Backup:
    """The backup an incremental builds on: the newest physical one of this server and database."""
    parent = latest_physical(directory, database, source, key_file=key_file)
    if parent is None:
        raise BackupError(f"there is no physical backup of '{database}' from this server in {directory} "
                          "for an incremental backup to build on",
                          "Take a full one first with `hms backup create --physical`")
    with conn.cursor() as cur:
        cur.execute(LSN)
        row = cur.fetchone()
    current = int(row[1]) if row else 0
    if current < int(parent.manifest.chain["to_lsn"]):
        raise BackupError(f"the server's InnoDB log (LSN {current}) is behind the newest physical backup "
                          f"{parent.name} (LSN {parent.manifest.chain['to_lsn']}): this is not the server it was "
                          "taken from, or the server was restored since",
                          "Take a full backup with `hms backup create --physical`")
    return parent


def remove_stale_partials(directory: Path) -> list[Path]:
    """Remove the partial physical backups of runs that are gone; return them.

    A partial directory names its process in .hms-owner (mariadb-backup dies with that
    process); one without it is a run killed as it began, taken as stale after an hour.
    """
    removed = []
    for path in directory.glob(f"{PARTIAL_PREFIX}*{PHYSICAL_SUFFIX}"):
        if path.is_symlink() or not path.is_dir():
            continue
        try:
            owner = int((path / OWNER_FILE).read_text().strip())
            stale = not process_alive(owner)
        except (OSError, ValueError):
            stale = time.time() - path.stat().st_mtime > UNOWNED_STALE_SECONDS
        if stale:
            physical_files.remove_tree(path)
            removed.append(path)
    return removed
