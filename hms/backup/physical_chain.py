"""A physical backup and the chain it needs: its full backup, then every incremental in order.

An incremental backup holds only the pages changed since its parent (the previous
physical backup of the same server and database, full or incremental), so restoring one
needs the whole chain back to the full backup, each one signed and each one starting at
the log sequence number (LSN) where its parent ended.
"""

from __future__ import annotations

from pathlib import Path

from . import physical_files, signing
from .errors import BackupError
from .manifest import (
    PHYSICAL_NAME,
    Backup,
    _manifest_data,
    _manifest_of,
    is_physical_path,
    list_backups,
)

MAX_CHAIN = 500
TYPES = ("full", "incremental")


def open_physical(path: Path | str, *, key_file: Path | None = None, trust_unsigned: bool = False) -> Backup:
    """Return the physical backup at `path` after checking its manifest and signature.

    Its files are checked against the manifest when they are copied (physical_files.copy_checked).
    """
    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path} does not exist", "Pick a backup from `hms backup list`")
    if path.is_symlink() or not path.is_dir() or not is_physical_path(path):
        raise BackupError(f"{path} is not a physical backup made by hms (a directory <database>_<time>.physical)",
                          "Pick a backup from `hms backup list`")
    data = _manifest_data(path)
    manifest = _manifest_of(path, data)
    signed = signing.is_signed(data, signing.load_key(key_file))
    if not signed and not trust_unsigned:
        raise BackupError(f"{path.name} is unsigned: its manifest has no valid signature of this "
                          "installation's backup key (made elsewhere, or edited)",
                          "Restore backups made here (copy backup.key along for a new server home); for one "
                          "from elsewhere whose origin you have checked, add --trust-unsigned")
    chain = manifest.chain or {}
    if chain.get("type") not in TYPES or not manifest.files:
        raise BackupError(f"the manifest of {path.name} is incomplete", "Use another backup")
    if physical_files.list_digest(manifest.files) != manifest.sha256:
        raise BackupError(f"the file list of {path.name} does not match its sha256 (edited)",
                          "Use another backup; this one cannot be trusted")
    return Backup(path=path, manifest=manifest, intact=None, signed=signed)


def open_chain(path: Path | str, *, key_file: Path | None = None, trust_unsigned: bool = False) -> list[Backup]:
    """Return the backups that restore `path`, the full backup first and `path` last."""
    chain = [open_physical(path, key_file=key_file, trust_unsigned=trust_unsigned)]
    while chain[0].manifest.chain["type"] == "incremental":
        child = chain[0]
        parent_name = child.manifest.chain.get("parent") or ""
        if not PHYSICAL_NAME.match(parent_name):
            raise BackupError(f"the manifest of {child.name} names no valid parent backup", "Use another backup")
        parent_path = child.path.parent / parent_name
        if not parent_path.exists():
            raise BackupError(f"{child.name} is an incremental backup on top of {parent_name}, which is missing",
                              f"Put {parent_name} (and the backups it needs) back in {child.path.parent}, "
                              "or restore an older backup of the chain")
        parent = open_physical(parent_path, key_file=key_file, trust_unsigned=trust_unsigned)
        if str(parent.manifest.chain.get("to_lsn")) != str(child.manifest.chain.get("from_lsn")):
            raise BackupError(f"{child.name} starts at LSN {child.manifest.chain.get('from_lsn')} but its parent "
                              f"{parent_name} ends at LSN {parent.manifest.chain.get('to_lsn')}",
                              "The chain is broken; restore the parent itself, or take a new full backup")
        if len(chain) >= MAX_CHAIN:
            raise BackupError(f"the chain of {chain[-1].name} is longer than {MAX_CHAIN} backups (a loop?)",
                              "Take a new full backup")
        chain.insert(0, parent)
    return chain


def latest_physical(directory: Path, database: str, source: dict, *, key_file: Path | None = None) -> Backup | None:
    """Return the newest signed physical backup of `database` on server `source` in `directory`, if any."""
    for backup in list_backups(directory, check=False, key_file=key_file):
        m = backup.manifest
        if backup.physical and backup.signed and m.database == database and m.source == source:
            return backup
    return None
