"""Backups that can be trusted: create, list, verify and restore.

One service for the CLI (`hms backup ...`) and the console's DB Tools page:
- create.py: a consistent dump, gzip-compressed, checked, then renamed into place;
- dump.py / stream.py: the dump tool's process, and the stream that digests and compresses it;
- manifest.py: names, manifests, checksums and the list;
- contents.py: row counts, content checksums and object digests to compare;
- replay.py / restore.py: replaying a trusted file through the client into a database the
  tool creates, and verify.
"""

from .create import create_backup
from .manifest import (
           Backup,
           BackupError,
           Manifest,
           find_backup,
           list_backups,
           open_backup,
)
from .restore import RestoreResult, VerifyResult, restore_backup, verify_backup

__all__ = ["Backup", "BackupError", "Manifest", "RestoreResult", "VerifyResult", "create_backup",
           "find_backup", "list_backups", "open_backup", "restore_backup", "verify_backup"]
