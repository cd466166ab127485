"""Backup files and their manifests: names, checksums, reading, listing.

A backup is two files in the backup directory: `<database>_<UTC timestamp>.sql.gz`
and `<database>_<UTC timestamp>.json`, its manifest. Only a pair whose manifest says
it was made by hms, and whose dump still has the recorded size and sha256, is
trusted by restore and verify.

A physical backup (`create --physical`) is one directory, `<database>_<UTC timestamp>.physical`,
holding mariadb-backup's files under `data/` and its manifest, `manifest.json`, which lists
every file's size and sha256 (see physical.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import physical_files, signing
from .errors import BackupError
from .signing import PRIVATE_FILE

FORMAT = "hms-backup/1"
SUFFIX = ".sql.gz"
MANIFEST_SUFFIX = ".json"
PARTIAL_PREFIX = ".partial-"
# <database>_<YYYYmmddTHHMMSS.mmmZ>.sql.gz; the database part follows config.DATABASE_NAME.
NAME = re.compile(r"^(?P<database>[A-Za-z_][A-Za-z0-9_]{0,63})_(?P<stamp>\d{8}T\d{6}\.\d{3}Z)\.sql\.gz$")
STAMP_FORMAT = "%Y%m%dT%H%M%S"
CHUNK = 1 << 20
PHYSICAL_SUFFIX = ".physical"
PHYSICAL_MANIFEST = "manifest.json"
PHYSICAL_DATA = "data"
PHYSICAL_NAME = re.compile(r"^(?P<database>[A-Za-z_][A-Za-z0-9_]{0,63})_(?P<stamp>\d{8}T\d{6}\.\d{3}Z)\.physical$")
KINDS = ("logical", "physical")


@dataclass
class Manifest:
    """What a backup holds, recorded when it was made."""

    database: str
    created_at: str
    bytes: int
    sha256: str
    server_version: str
    dump_tool: str
    tables: dict[str, int]
    digests: dict[str, str] = field(default_factory=dict)  # table: sha256 of its data section
    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    seconds: float = 0.0
    format: str = FORMAT
    # Added with physical backups (older manifests are logical backups without them).
    kind: str = "logical"
    binlog: dict | None = None  # where the binary log stood at the snapshot: {"file", "position", "gtid"}
    chain: dict | None = None  # physical: {"type": full|incremental, "parent", "from_lsn", "to_lsn", "last_lsn"}
    files: dict[str, list] = field(default_factory=dict)  # physical: {path under data/: [bytes, sha256]}
    checksums: dict[str, int] = field(default_factory=dict)  # physical: {table: content checksum}, contents.py
    source: dict[str, str] = field(default_factory=dict)  # physical: the server it was taken from
    contents_from: str = ""  # physical: where tables/checksums were read ("snapshot" or "prepared copy")

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def parent(self) -> str | None:
        """The name of the backup an incremental physical backup is built on (prune keeps it)."""
        return (self.chain or {}).get("parent")

    @parent.setter
    def parent(self, name: str | None) -> None:
        self.chain = {**(self.chain or {}), "parent": name}

    @classmethod
    def from_dict(cls, data: dict) -> "Manifest":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class Backup:
    """A backup file, its manifest and whether the file still matches it."""

    path: Path
    manifest: Manifest
    intact: bool | None = None  # None: not checked
    signed: bool = False  # its manifest carries this installation's MAC

    @property
    def name(self) -> str:
        return self.path.name

    def as_dict(self) -> dict:
        """The contract's JSON keys, then the rest of the manifest."""
        m = self.manifest
        data = {"path": str(self.path), "bytes": m.bytes, "sha256": m.sha256, "created_at": m.created_at,
                "database": m.database, "tables": m.tables, "server_version": m.server_version,
                "name": self.name}
        if self.intact is not None:
            data["checksum_ok"] = self.intact
        data["signed"] = self.signed
        data["kind"] = m.kind
        data["binlog"] = m.binlog
        data["parent"] = (m.chain or {}).get("parent")
        if m.chain is not None:
            data["chain"] = m.chain
        return data

    @property
    def physical(self) -> bool:
        return self.manifest.kind == "physical"


def new_name(database: str, now: datetime | None = None) -> str:
    """Return `<database>_<UTC timestamp>.sql.gz` for a backup made now."""
    now = now or datetime.now(timezone.utc)
    return f"{database}_{now.strftime(STAMP_FORMAT)}.{now.microsecond // 1000:03d}Z{SUFFIX}"


def new_physical_name(database: str, now: datetime) -> str:
    """Return `<database>_<UTC timestamp>.physical`, the directory of a physical backup made `now`."""
    return new_name(database, now)[: -len(SUFFIX)] + PHYSICAL_SUFFIX


def is_physical_path(path: Path) -> bool:
    """True when `path` is named like a physical backup's directory."""
    return Path(path).name.endswith(PHYSICAL_SUFFIX)


def manifest_path(path: Path) -> Path:
    """Return where the manifest of backup `path` lives (beside a dump, inside a physical backup)."""
    if is_physical_path(path):
        return path / PHYSICAL_MANIFEST
    return path.with_name(path.name[: -len(SUFFIX)] + MANIFEST_SUFFIX)


def file_digest(path: Path) -> tuple[int, str]:
    """Return (size in bytes, sha256 hex) of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def open_private(path: Path, exclusive: bool = True):
    """Return `path` opened for binary writing, created 0600 whatever the umask."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


def write_json_atomically(path: Path, data: dict) -> None:
    """Write `data` to `path` (0600) through a temporary file, fsynced, then renamed."""
    tmp = path.with_name(PARTIAL_PREFIX + path.name)
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    with io.TextIOWrapper(open_private(tmp), encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_manifest(path: Path) -> Manifest:
    """Return the manifest of backup file `path`; BackupError when it is missing or foreign."""
    return _manifest_of(path, _manifest_data(path))


def _manifest_data(path: Path) -> dict:
    """Return the manifest JSON of backup file `path`, checked to be an hms manifest."""
    mpath = manifest_path(path) if path.name.endswith((SUFFIX, PHYSICAL_SUFFIX)) else None
    if mpath is None or mpath.is_symlink() or not mpath.is_file():
        raise BackupError(f"{path.name} is not a backup made by hms (no manifest beside it)",
                          "Restore only files listed by `hms backup list`")
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"the manifest {mpath.name} cannot be read ({exc.__class__.__name__})",
                          "Restore only files listed by `hms backup list`") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{mpath.name} is not an hms backup manifest",
                          "Restore only files listed by `hms backup list`")
    if data.get("kind", "logical") != ("physical" if is_physical_path(path) else "logical"):
        raise BackupError(f"the manifest of {path.name} describes another kind of backup",
                          "Restore only backups listed by `hms backup list`")
    return data


def _manifest_of(path: Path, data: dict) -> Manifest:
    try:
        return Manifest.from_dict(data)
    except TypeError:
        raise BackupError(f"the manifest {manifest_path(path).name} is incomplete",
                          "Restore only files listed by `hms backup list`") from None


def open_backup(path: Path | str, *, key_file: Path | None = None, trust_unsigned: bool = False) -> Backup:
    """Return the Backup at `path` after checking its size, sha256 and MAC; BackupError otherwise.

    A manifest without this installation's MAC (see signing.py) is refused unless
    `trust_unsigned`: its sha256 proves nothing, anyone can compute one.
    """
    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path} does not exist", "Pick a file from `hms backup list`")
    if not path.is_file():
        raise BackupError(f"{path} is not a file", "Pick a file from `hms backup list`")
    if not os.access(path, os.R_OK):
        raise BackupError(f"{path} cannot be read", "Check the file's permissions")
    data = _manifest_data(path)
    manifest = _manifest_of(path, data)
    signed = signing.is_signed(data, signing.load_key(key_file))
    if not signed and not trust_unsigned:
        raise BackupError(f"{path.name} is unsigned: its manifest has no valid signature of this "
                          "installation's backup key (made elsewhere, or edited)",
                          "Restore backups made here; for one from elsewhere whose origin you have checked, "
                          "add --trust-unsigned (command line only)")
    size, sha = file_digest(path)
    if size != manifest.bytes:
        raise BackupError(f"{path.name} is {size} bytes, its manifest says {manifest.bytes} "
                          "(truncated or changed since it was made)",
                          "Use another backup; this one cannot be trusted")
    if sha != manifest.sha256:
        raise BackupError(f"{path.name} does not match its manifest's sha256 (corrupted or changed)",
                          "Use another backup; this one cannot be trusted")
    return Backup(path=path, manifest=manifest, intact=True, signed=signed)


def list_backups(directory: Path, check: bool = True, *, key_file: Path | None = None) -> list[Backup]:
    """Return the backups in `directory`, newest first; `check` recomputes each checksum.

    Each says whether its manifest is signed with this installation's key.
    """
    if not directory.is_dir():
        return []
    key = signing.load_key(key_file)
    found = []
    for path in directory.iterdir():
        physical = bool(PHYSICAL_NAME.match(path.name))
        if not (NAME.match(path.name) or physical) or path.is_symlink():
            continue  # a link could point anywhere (client.cnf): only real files are backups
        if not (path.is_dir() if physical else path.is_file()) or manifest_path(path).is_symlink():
            continue
        try:
            data = _manifest_data(path)
            manifest = _manifest_of(path, data)
        except BackupError:
            continue  # not ours, or not finished: never offered for restore
        if not check:
            intact = None
        elif physical:
            intact = physical_files.intact(path / PHYSICAL_DATA, manifest.files, manifest.sha256)
        else:
            intact = _intact(path, manifest)
        found.append(Backup(path=path, manifest=manifest, intact=intact, signed=signing.is_signed(data, key)))
    found.sort(key=lambda b: (b.manifest.created_at, b.name), reverse=True)
    return found


# (path, size, mtime, inode) -> checksum matched. Hashing every file on every listing
# would re-read gigabytes each time the console's page refreshes; any write to a file
# changes its size or mtime, so a cached answer is only reused for an untouched file.
_checked: dict[tuple, bool] = {}


def _intact(path: Path, manifest: Manifest) -> bool:
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino, manifest.sha256)
        if key not in _checked:
            size, sha = file_digest(path)
            _checked[key] = size == manifest.bytes and sha == manifest.sha256
        return _checked[key]
    except OSError:
        return False


def find_backup(directory: Path, name: str, *, key_file: Path | None = None) -> Path:
    """Return the path of the listed, signed backup called `name`; BackupError for anything else.

    The console passes names from the browser here: only a bare name matching the
    backup pattern, present in the directory with a manifest signed by this
    installation's key, is accepted (the console never restores an unsigned backup).
    """
    if not isinstance(name, str) or not (NAME.match(name) or PHYSICAL_NAME.match(name)):
        raise BackupError("that is not the name of a backup", "Pick a backup from the list")
    for backup in list_backups(directory, check=False, key_file=key_file):
        if backup.name == name:
            if not backup.signed:
                raise BackupError(f"{name} is unsigned (made elsewhere, or its manifest was edited)",
                                  "The console restores only backups made here; see `hms backup restore "
                                  "--trust-unsigned` on the command line")
            return backup.path
    raise BackupError(f"there is no backup called {name}", "Pick a backup from the list")


def open_verified(path: Path, *, key_file: Path | None = None):
    """Return backup `path` opened for reading after checking it against its manifest.

    Links are refused (O_NOFOLLOW) and the checksum is computed on the very file handle
    returned, so what is served is what was checked. BackupError otherwise.
    """
    data = _manifest_data(path)
    manifest = _manifest_of(path, data)
    if not signing.is_signed(data, signing.load_key(key_file)):
        raise BackupError(f"{path.name} is unsigned", "Download only backups made here")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise BackupError(f"{path.name} cannot be opened ({exc.strerror}; links are refused)",
                          "Pick a backup from the list") from None
    handle = os.fdopen(fd, "rb")
    try:
        digest, size = hashlib.sha256(), 0
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
        if size != manifest.bytes or digest.hexdigest() != manifest.sha256:
            raise BackupError(f"{path.name} does not match its manifest (changed since it was made)",
                              "Use another backup; this one cannot be trusted")
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle
