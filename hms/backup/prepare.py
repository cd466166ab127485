"""A prepared copy of a physical backup chain: what a server can start on.

The backups themselves are never prepared in place (an incremental needs its parent as
it was taken). Each one is copied, every file checked against its signed manifest on the
way, and only then prepared: the full backup first, then each incremental applied to
it in order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import mariadb_backup, physical_files
from .errors import BackupError
from .manifest import PHYSICAL_DATA, Backup
from .physical_keys import Keys, preparing


def chain_bytes(chain: list[Backup]) -> int:
    """The bytes a prepared copy of `chain` reads (for a progress bar)."""
    return sum(b.manifest.bytes for b in chain)


def prepare_chain(chain: list[Backup], destination: Path, *, binary: str,
                  progress: Callable[[int], None] | None = None,
                  use_memory: int = mariadb_backup.PREPARE_MEMORY, keys: Keys | None = None) -> None:
    """Make `destination` (new) a prepared copy of `chain` (full backup first).

    Incrementals are staged beside `destination` and removed at the end. On error the
    caller removes `destination`. `keys`: the server key file an encrypted chain is
    prepared with (physical_keys.chain_keys), its passphrase at hand for the prepare only.
    """
    if not chain or chain[0].manifest.chain["type"] != "full":
        raise BackupError("a physical restore needs a chain that starts with a full backup", "Use another backup")
    staged = [destination.with_name(f".{destination.name}-{b.name}") for b in chain[1:]]
    try:
        # Every file of every backup is checked before anything is prepared.
        for backup, target in zip(chain, [destination, *staged]):
            physical_files.copy_checked(backup.name, backup.path / PHYSICAL_DATA, backup.manifest.files, target,
                                        progress)
        with preparing(keys, [destination, *staged]) as options:
            mariadb_backup.prepare(binary, destination, use_memory=use_memory, options_file=options)
            for incremental in staged:
                mariadb_backup.prepare(binary, destination, incremental_dir=incremental, use_memory=use_memory,
                                       options_file=options)
    finally:
        for incremental in staged:
            physical_files.remove_tree(incremental)
