"""Encryption at rest: the embedded server's key file and the installation's backup key.

`hms server start --encrypt` (chosen when the home is made) writes $HMS_HOME/keys/:
`server.key`, the file_key_management plugin's key file (lines `<id>;<64 hex>`, 0600,
owned by the account the server runs as), and `backup.key` (32 random bytes in hex,
0600, the hms user's), which encrypts logical backup files (hms/backup/encryption.py).
The server encrypts InnoDB tables, its redo log, undo (in the system tablespace),
temporary tables and files, the binary log and Aria tables.

`hms server rotate-key` adds a key to server.key, makes it the default for new tables
and re-encrypts every InnoDB table outside the system schemas under it. Older keys stay
in the file: the redo log, the system tablespace, Aria tables and existing binary logs
and physical backups were written under them (the plugin cannot re-key those).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .config import home_from_env
from .errors import ConfigError

KEYS_DIR = "keys"
SERVER_KEY = "server.key"
BACKUP_KEY = "backup.key"


def keys_dir(home: Path) -> Path:
    return Path(home) / KEYS_DIR


def server_key_file(home: Path) -> Path:
    return keys_dir(home) / SERVER_KEY


def ensure_server_keys(home: Path, server_uid: int) -> Path:
    """Make keys/ with a first server key and the backup key (each once); return server.key."""
    directory = keys_dir(home)
    directory.mkdir(mode=0o711, exist_ok=True)
    os.chmod(directory, 0o711)  # the server account enters it to read its own key file only
    path = server_key_file(home)
    if not path.is_file():
        _write_private(path, f"1;{secrets.token_hex(32)}\n")
    if os.geteuid() == 0:
        os.chown(path, server_uid, -1)
    backup = directory / BACKUP_KEY
    if not backup.is_file():
        _write_private(backup, secrets.token_hex(32) + "\n")
    return path


def key_ids(home: Path) -> list[int]:
    path = server_key_file(home)
    ids = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            ids.append(int(line.split(";", 1)[0]))
    return ids


def add_server_key(home: Path) -> int:
    """Append a new key to server.key; return its id."""
    path = server_key_file(home)
    new_id = max(key_ids(home)) + 1
    with open(path, "a") as handle:
        handle.write(f"{new_id};{secrets.token_hex(32)}\n")
    return new_id


def load_backup_key(home: Path | None = None) -> bytes | None:
    """The backup key of this installation (HMS_HOME), or None when it encrypts no backups."""
    path = keys_dir(home or home_from_env()) / BACKUP_KEY
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if info.st_mode & 0o077 or not path.is_file() or path.is_symlink():
        raise ConfigError(f"the backup encryption key {path} is readable by others or not a plain file",
                          f"Run `chmod 600 {path}` as its owner, and consider the key leaked")
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConfigError(f"the backup encryption key {path} is malformed",
                          "Restore it from where you keep a copy of this home's keys")
    return key


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
