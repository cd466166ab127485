"""The binary log archive: copies of the server's binary log files in $HMS_BACKUP_DIR/binlogs/,
so that losing the server's disk (or its 7-day retention) does not lose the way forward
from a backup.

Each archived file is 0600, byte for byte the server's closed file, and listed in
`binlogs/index.json` with its size, sha256, first and last GTID state and event times.
When the installation encrypts its backups (a backup key, encryption.py, as for logical
backups) a new copy is stored encrypted instead (the server decrypts its log when it
sends it): the index's size and sha256 are the stored file's, `plain_bytes` and
`plain_sha256` the log's, and `staged()` decrypts it into a private staging folder for
a roll-forward (a plain copy archived earlier is still read as it is);
the index carries an HMAC of this installation's backup key (signing.py) like a
manifest, so a file someone drops or edits in the folder is never replayed. The files a
recovery needs are those from the oldest kept backup's coordinates on; `archive_binlogs`
closes the server's current file first (FLUSH BINARY LOGS) so everything up to now is
copied.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .. import dialect as dialects
from ..connection import ConnectionInfo, session
from . import binlog, binlogfile, encryption, signing
from .errors import BackupError
from .manifest import Backup, file_digest, list_backups, open_private, write_json_atomically
from .signing import PRIVATE_DIR, PRIVATE_FILE
from .stream import HashingWriter

ARCHIVE_DIR = "binlogs"
INDEX_NAME = "index.json"
LOCK_NAME = ".lock"
FORMAT = "hms-binlogs/1"


@dataclass
class ArchivedFile:
    """One archived binary log file, as its signed index entry describes it."""

    name: str
    bytes: int
    sha256: str
    start_state: str  # the GTID state before its first event
    end_state: str  # after its last event
    first_time: int | None = None  # Unix seconds of its first and last event group
    last_time: int | None = None
    archived_at: str = ""
    plain_bytes: int | None = None  # stored encrypted: the log's own size and sha256
    plain_sha256: str | None = None

    @property
    def log_bytes(self) -> int:
        """The size of the binary log file itself (what the server lists)."""
        return self.bytes if self.plain_bytes is None else self.plain_bytes

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()
                if k != "name" and not (k in ("plain_bytes", "plain_sha256") and v is None)}


@dataclass
class Archive:
    """The archive folder of a backup directory and its authenticated index."""

    directory: Path
    key: bytes | None
    files: dict[str, ArchivedFile] = field(default_factory=dict)

    def path_of(self, name: str) -> Path:
        """Return the archived copy of `name` after checking its size and sha256 against the index."""
        entry = self.files[name]
        path = self.directory / name
        try:
            if path.is_symlink() or not path.is_file():
                raise FileNotFoundError
            size, sha = file_digest(path)
        except OSError:
            raise BackupError(f"the archived binary log {name} is missing from {self.directory}",
                              "Put the file back, or run `hms backup archive-binlogs` while the server still has it"
                              ) from None
        if size != entry.bytes or sha != entry.sha256:
            raise BackupError(f"the archived binary log {name} does not match its signed checksum (corrupted or edited)",
                              "Restore the file from another copy; it cannot be replayed")
        return path

    def staged(self, name: str, staging: Path) -> Path:
        """The checked archived copy of `name` as a plain binary log: an encrypted one is decrypted
        (every frame authenticated) into `staging` (private, the caller removes it)."""
        path = self.path_of(name)
        if not encryption.is_encrypted(path):
            return path
        entry, plain = self.files[name], Path(staging) / name
        with encryption.open_backup(path) as reader, open_private(plain) as out:
            while chunk := reader.read(encryption.CHUNK):
                out.write(chunk)
        size, sha = file_digest(plain)
        if (size, sha) != (entry.plain_bytes, entry.plain_sha256):
            plain.unlink()
            raise BackupError(f"the archived binary log {name} decrypts to something else than its signed index "
                              "describes", "Restore the file from another copy; it cannot be replayed")
        return plain

    def save(self) -> None:
        if self.key is None:
            raise BackupError("there is no backup key to sign the archive's index", "Run `hms backup create` first")
        data = {"format": FORMAT, "files": {n: f.as_dict() for n, f in sorted(self.files.items())}}
        write_json_atomically(self.directory / INDEX_NAME, signing.sign(data, self.key))

    def ordered(self) -> list[ArchivedFile]:
        return sorted(self.files.values(), key=lambda f: binlog.file_number(f.name))


@dataclass
class ArchiveResult:
    """What `archive_binlogs` did: files copied now, files already there, needed files nobody has."""

    copied: list[ArchivedFile] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # needed, purged from the server and never archived
    needed_from: str | None = None


def archive_path(backup_dir: Path) -> Path:
    return Path(backup_dir) / ARCHIVE_DIR


def load(backup_dir: Path, key_file: Path | None = None) -> Archive:
    """Return the archive of `backup_dir` (empty when there is none); BackupError when its index is not ours."""
    directory = archive_path(backup_dir)
    key = signing.load_key(key_file)
    archive = Archive(directory=directory, key=key)
    index = directory / INDEX_NAME
    if index.is_symlink():
        raise BackupError(f"{index} is a link", "Remove it; the archive's index must be a regular file")
    if not index.is_file():
        return archive
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"the archive's index {index} cannot be read ({exc.__class__.__name__})",
                          "Move the binlogs folder aside and run `hms backup archive-binlogs`") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not signing.is_signed(data, key):
        raise BackupError(f"the archive's index {index} is not signed by this installation's backup key "
                          "(edited, or made elsewhere)",
                          "Move the binlogs folder aside and run `hms backup archive-binlogs`")
    for name, entry in (data.get("files") or {}).items():
        binlog.file_number(name)  # a name with a path in it never gets here signed, but check anyway
        archive.files[name] = ArchivedFile(name=name, **entry)
    return archive


@contextlib.contextmanager
def locked(backup_dir: Path) -> Iterator[Path]:
    """Hold the archive's lock (one writer at a time: archive-binlogs, create, prune); yield its folder."""
    directory = archive_path(backup_dir)
    directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if directory.is_symlink():
        raise BackupError(f"{directory} is a link", "Make it a real folder inside HMS_BACKUP_DIR")
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield directory
    finally:
        os.close(fd)


def needed_from(backups: list[Backup]) -> str | None:
    """The earliest binary log file any of `backups` rolls forward from, or None."""
    starts = []
    for backup in backups:
        coordinates = coordinates_of(backup)
        if coordinates is not None:
            starts.append(coordinates.file)
    return min(starts, key=binlog.file_number) if starts else None


def coordinates_of(backup: Backup) -> binlog.Coordinates | None:
    """The binlog coordinates a backup's manifest recorded, or None (older backups, binary log off)."""
    try:
        return binlog.Coordinates.from_dict(getattr(backup.manifest, "binlog", None))
    except BackupError:
        return None


def archive_binlogs(info: ConnectionInfo, backup_dir: Path, *, key_file: Path | None = None,
                    backups: list[Backup] | None = None) -> ArchiveResult:
    """Copy into the archive every closed binary log file a kept backup needs; return what was done.

    `backups` defaults to the signed backups in `backup_dir`. The server's current file
    is closed first, so the archive reaches up to now.
    """
    backup_dir = Path(backup_dir)
    if backups is None:
        backups = [b for b in list_backups(backup_dir, check=False, key_file=key_file) if b.signed]
    result = ArchiveResult(needed_from=needed_from(backups))
    if result.needed_from is None:
        return result
    base, first = binlog.file_number(result.needed_from)
    signing.load_key(key_file, create=True)
    with session(info, database=None) as conn:
        if not dialects.for_connection(conn).is_mariadb:
            raise BackupError(*dialects.ROLLFORWARD_ON_MYSQL)
        binlog.flush(conn)
        on_server = binlog.server_logs(conn)
    closed = [name for name, _ in on_server[:-1]]
    with locked(backup_dir) as directory:
        archive = load(backup_dir, key_file)
        sizes = dict(on_server)
        wanted = []
        for name in closed:
            name_base, number = binlog.file_number(name)
            if name_base != base or number < first:
                continue
            entry = archive.files.get(name)
            if entry is None:
                wanted.append(name)
            elif entry.log_bytes != sizes[name]:
                raise BackupError(f"the archived {name} differs from the server's file of that name "
                                  f"({entry.log_bytes} bytes, the server's {sizes[name]}): was the server's binary log "
                                  "reset?", f"Move {directory} aside (it belongs to the old binary log) and run "
                                  "`hms backup archive-binlogs` again")
            else:
                result.already.append(name)
        server_names = {name for name, _ in on_server}
        result.lost = [f"{base}.{n:06d}" for n in range(first, _first_number(on_server, base, first))
                       if f"{base}.{n:06d}" not in archive.files and f"{base}.{n:06d}" not in server_names]
        for name in wanted:
            result.copied.append(_copy_in(info, archive, name))
    return result


def _first_number(on_server: list[tuple[str, int]], base: str, default: int) -> int:
    numbers = [binlog.file_number(name)[1] for name, _ in on_server if binlog.file_number(name)[0] == base]
    return min(numbers) if numbers else default


def _copy_in(info: ConnectionInfo, archive: Archive, name: str) -> ArchivedFile:
    """Fetch one closed file into the archive, checked from end to end, and record it in the index.

    With a backup key the plain file is only ever in a private staging folder outside the
    backup folder; the archive gets it encrypted."""
    key = encryption.backup_key()
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=archive.directory))
    try:
        with binlog.staging_directory() if key else contextlib.nullcontext(staging) as fetched:
            (path,) = binlog.fetch(info, [name], fetched)
            entry = describe(path)
            if key:
                path = _encrypt(path, staging / name, key, entry)
        final = archive.directory / name
        os.replace(path, final)
        _fsync(archive.directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    entry.archived_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    archive.files[name] = entry
    archive.save()
    return entry


def _encrypt(plain: Path, stored: Path, key: bytes, entry: ArchivedFile) -> Path:
    """Write `plain` encrypted (encryption.py's frames) to `stored`; `entry` then describes both."""
    with open(plain, "rb") as source, open_private(stored) as handle:
        sink = encryption.EncryptingSink(HashingWriter(handle), key)
        while chunk := source.read(encryption.CHUNK):
            sink.write(chunk)
        sink.finish()
        handle.flush()
        os.fsync(handle.fileno())
    entry.plain_bytes, entry.plain_sha256 = entry.bytes, entry.sha256
    entry.bytes, entry.sha256 = sink.bytes, sink.sha256.hexdigest()
    return stored


def describe(path: Path) -> ArchivedFile:
    """Return the index entry of binary log `path`: size, sha256, GTID states and times (every checksum checked)."""
    header = binlogfile.read_header(path)
    state = dict(header.start_state)
    first_time = last_time = None
    for group in binlogfile.scan(path):
        state[group.gtid.domain] = group.gtid
        first_time = group.time if first_time is None else first_time
        last_time = group.time
    size, sha = file_digest(path)
    return ArchivedFile(name=path.name, bytes=size, sha256=sha, start_state=binlog.format_state(header.start_state),
                        end_state=binlog.format_state(state), first_time=first_time, last_time=last_time)


def remove(archive: Archive, names: list[str]) -> None:
    """Delete archived files `names` and their index entries (the caller holds the lock)."""
    for name in names:
        archive.files.pop(name, None)
    archive.save()
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (archive.directory / name).unlink()
    _fsync(archive.directory)


def _fsync(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
