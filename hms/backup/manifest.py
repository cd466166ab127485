"""Backup files and their manifests: names, checksums, reading, listing.

A backup is two files in the backup directory: `<database>_<UTC timestamp>.sql.gz`
and `<database>_<UTC timestamp>.json`, its manifest. Only a pair whose manifest says
it was made by hms, and whose dump still has the recorded size and sha256, is
trusted by restore and verify.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import HmsError

FORMAT = "hms-backup/1"
SUFFIX = ".sql.gz"
MANIFEST_SUFFIX = ".json"
PARTIAL_PREFIX = ".partial-"
# <database>_<YYYYmmddTHHMMSS.mmmZ>.sql.gz; the database part follows config.DATABASE_NAME.
NAME = re.compile(r"^(?P<database>[A-Za-z_][A-Za-z0-9_]{0,63})_(?P<stamp>\d{8}T\d{6}\.\d{3}Z)\.sql\.gz$")
STAMP_FORMAT = "%Y%m%dT%H%M%S"
CHUNK = 1 << 20


class BackupError(HmsError):
    """A backup could not be made, read, verified or restored."""


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

    def as_dict(self) -> dict:
        return asdict(self)

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
        return data


def new_name(database: str, now: datetime | None = None) -> str:
    """Return `<database>_<UTC timestamp>.sql.gz` for a backup made now."""
    now = now or datetime.now(timezone.utc)
    return f"{database}_{now.strftime(STAMP_FORMAT)}.{now.microsecond // 1000:03d}Z{SUFFIX}"


def manifest_path(path: Path) -> Path:
    """Return where the manifest of backup file `path` lives."""
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


def write_json_atomically(path: Path, data: dict) -> None:
    """Write `data` to `path` through a temporary file, fsynced, then renamed."""
    tmp = path.with_name(PARTIAL_PREFIX + path.name)
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_manifest(path: Path) -> Manifest:
    """Return the manifest of backup file `path`; BackupError when it is missing or foreign."""
    mpath = manifest_path(path) if path.name.endswith(SUFFIX) else None
    if mpath is None or not mpath.is_file():
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
    try:
        return Manifest.from_dict(data)
    except TypeError:
        raise BackupError(f"the manifest {mpath.name} is incomplete",
                          "Restore only files listed by `hms backup list`") from None


def open_backup(path: Path | str) -> Backup:
    """Return the Backup at `path` after checking its size and sha256; BackupError otherwise."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path} does not exist", "Pick a file from `hms backup list`")
    if not path.is_file():
        raise BackupError(f"{path} is not a file", "Pick a file from `hms backup list`")
    if not os.access(path, os.R_OK):
        raise BackupError(f"{path} cannot be read", "Check the file's permissions")
    manifest = read_manifest(path)
    size, sha = file_digest(path)
    if size != manifest.bytes:
        raise BackupError(f"{path.name} is {size} bytes, its manifest says {manifest.bytes} "
                          "(truncated or changed since it was made)",
                          "Use another backup; this one cannot be trusted")
    if sha != manifest.sha256:
        raise BackupError(f"{path.name} does not match its manifest's sha256 (corrupted or changed)",
                          "Use another backup; this one cannot be trusted")
    return Backup(path=path, manifest=manifest, intact=True)


def list_backups(directory: Path, check: bool = True) -> list[Backup]:
    """Return the backups in `directory`, newest first; `check` recomputes each checksum."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        if not NAME.match(path.name) or not path.is_file():
            continue
        try:
            manifest = read_manifest(path)
        except BackupError:
            continue  # not ours, or not finished: never offered for restore
        intact = _intact(path, manifest) if check else None
        found.append(Backup(path=path, manifest=manifest, intact=intact))
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


def find_backup(directory: Path, name: str) -> Path:
    """Return the path of the listed backup called `name`; BackupError for anything else.

    The console passes names from the browser here: only a bare name matching the
    backup pattern, present in the directory with a manifest, is accepted.
    """
    if not isinstance(name, str) or not NAME.match(name):
        raise BackupError("that is not the name of a backup", "Pick a backup from the list")
    for backup in list_backups(directory, check=False):
        if backup.name == name:
            return backup.path
    raise BackupError(f"there is no backup called {name}", "Pick a backup from the list")
