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

With HMS_KEY_PASSPHRASE set, server.key is stored encrypted by that passphrase, in the
format the plugin reads with file_key_management_filekey (`openssl enc -aes-256-cbc -md
sha1`: "Salted__", an 8-byte salt, AES-256-CBC under EVP_BytesToKey(SHA-1) of the
passphrase and salt), made here with `cryptography`, never by a shell-out holding the
secret. A plain key file is encrypted at the first start that has the passphrase. The
passphrase reaches the server only while it starts: in keys/filekey (0600, the server
account's), named in hms.cnf as `FILE:...` (so SHOW VARIABLES shows a path, not the
secret), deleted once the server is up. Without the passphrase (or with a wrong one) an
encrypted key file stops the start with one line saying so. mariadb-backup (a physical
backup's --backup and --prepare) reads the same kind of file: write_passphrase_file and
passphrase_file are the one place it is written and removed (hms/backup/physical_keys.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path
from typing import Iterator

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .config import home_from_env
from .errors import ConfigError

KEYS_DIR = "keys"
SERVER_KEY = "server.key"
BACKUP_KEY = "backup.key"
FILEKEY = "filekey"  # the passphrase, only while the server starts
PASSPHRASE_ENV = "HMS_KEY_PASSPHRASE"
SALTED = b"Salted__"


def keys_dir(home: Path) -> Path:
    return Path(home) / KEYS_DIR


def server_key_file(home: Path) -> Path:
    return keys_dir(home) / SERVER_KEY


def passphrase_from_env() -> str | None:
    """The key file's passphrase (HMS_KEY_PASSPHRASE), or None."""
    return os.environ.get(PASSPHRASE_ENV) or None


def ensure_server_keys(home: Path, server_uid: int, passphrase: str | None = None) -> tuple[Path, Path | None]:
    """Make keys/ with a first server key and the backup key (each once).

    Returns (server.key, the passphrase file the server reads while it starts, or None).
    With `passphrase`, server.key is (or is now made) stored encrypted by it; an encrypted
    server.key without it, or with another, raises ConfigError."""
    directory = keys_dir(home)
    directory.mkdir(mode=0o711, exist_ok=True)
    os.chmod(directory, 0o711)  # the server account enters it to read its own key file only
    path = server_key_file(home)
    forget_filekey(home)
    if not path.is_file():
        _write_keys(path, f"1;{secrets.token_hex(32)}\n", passphrase)
    elif passphrase and not is_passphrase_protected(home):
        _write_keys(path, read_server_keys(home), passphrase)
    else:
        read_server_keys(home, passphrase)  # refuses a missing or wrong passphrase before the server starts
    filekey = write_passphrase_file(directory / FILEKEY, passphrase, server_uid) if passphrase else None
    if os.geteuid() == 0:
        os.chown(path, server_uid, -1)
    backup = directory / BACKUP_KEY
    if not backup.is_file():
        _write_private(backup, secrets.token_hex(32) + "\n")
    return path, filekey


def forget_filekey(home: Path) -> None:
    """Delete the passphrase file the server read while starting (it is up, or failed)."""
    (keys_dir(home) / FILEKEY).unlink(missing_ok=True)


def write_passphrase_file(path: Path, passphrase: str, owner_uid: int | None = None) -> Path:
    """Write `passphrase` to `path` (0600, replacing a leftover), given to `owner_uid` when root; return it.

    The file_key_management plugin reads it (`file_key_management_filekey = FILE:path`) when
    it loads: in the server while it starts, in mariadb-backup while it backs up or prepares.
    The caller deletes it as soon as that reader has started (forget_filekey, passphrase_file).
    """
    path = Path(path)
    path.unlink(missing_ok=True)  # a run killed before its finally: never reused, replaced
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        if owner_uid is not None and os.geteuid() == 0 and owner_uid != 0:
            os.fchown(fd, owner_uid, -1)
        os.write(fd, passphrase.encode())
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return path


@contextlib.contextmanager
def passphrase_file(path: Path, passphrase: str, owner_uid: int | None = None) -> Iterator[Path]:
    """The passphrase in a 0600 file at `path` for the block's length only: deleted however it ends."""
    try:
        yield write_passphrase_file(path, passphrase, owner_uid)
    finally:
        Path(path).unlink(missing_ok=True)


def is_passphrase_protected(home: Path) -> bool:
    return is_protected_file(server_key_file(home))


def is_protected_file(path: Path) -> bool:
    """Whether the key file at `path` is stored encrypted by a passphrase."""
    with open(path, "rb") as handle:
        return handle.read(len(SALTED)) == SALTED


def read_server_keys(home: Path, passphrase: str | None = None) -> str:
    """The key file's text (`<id>;<hex>` lines), decrypted with `passphrase` when it is protected."""
    return read_key_file(server_key_file(home), passphrase)


def read_key_file(path: Path, passphrase: str | None = None, needed_by: str = "`hms server start`") -> str:
    """The text of the key file at `path`, decrypted with `passphrase` (default HMS_KEY_PASSPHRASE) when protected.

    A protected file without a passphrase, or with a wrong one, raises ConfigError naming
    HMS_KEY_PASSPHRASE and `needed_by` (the command that needs it)."""
    path = Path(path)
    data = path.read_bytes()
    if not data.startswith(SALTED):
        return data.decode()
    passphrase = passphrase or passphrase_from_env()
    if not passphrase:
        raise ConfigError(f"the server key file {path} is encrypted with a passphrase",
                          f"Set {PASSPHRASE_ENV} to it in the environment of {needed_by}")
    text = _openssl_decrypt(data, passphrase.encode())
    if text is None:
        raise ConfigError(f"{PASSPHRASE_ENV} does not open the server key file {path}",
                          f"Set {PASSPHRASE_ENV} to the passphrase the key file was encrypted with")
    return text


def key_ids(home: Path) -> list[int]:
    return ids_in(read_server_keys(home))


def ids_in(text: str) -> list[int]:
    """The key ids of a key file's text."""
    return [int(line.split(";", 1)[0]) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def add_server_key(home: Path) -> int:
    """Append a new key to server.key (kept encrypted when it is); return its id."""
    text = read_server_keys(home)
    new_id = max(key_ids(home)) + 1
    path = server_key_file(home)
    _write_keys(path, text + f"{new_id};{secrets.token_hex(32)}\n",
                passphrase_from_env() if is_passphrase_protected(home) else None)
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


def _write_private(path: Path, text: str | bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(text.encode() if isinstance(text, str) else text)


def _write_keys(path: Path, text: str, passphrase: str | None) -> None:
    """Write the key file (encrypted when a passphrase is given) through a 0600 file renamed into place."""
    data = _openssl_encrypt(text.encode(), passphrase.encode()) if passphrase else text.encode()
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    _write_private(fresh, data)
    if path.exists() and os.geteuid() == 0:
        info = path.stat()
        os.chown(fresh, info.st_uid, info.st_gid)  # still the server account's
    os.replace(fresh, path)


def _bytes_to_key(passphrase: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """OpenSSL's EVP_BytesToKey with SHA-1 and one round: AES-256's key and IV (what `-md sha1` derives)."""
    derived, block = b"", b""
    while len(derived) < 48:
        block = hashlib.sha1(block + passphrase + salt).digest()
        derived += block
    return derived[:32], derived[32:48]


def _openssl_encrypt(plain: bytes, passphrase: bytes) -> bytes:
    salt = secrets.token_bytes(8)
    key, iv = _bytes_to_key(passphrase, salt)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return SALTED + salt + encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()


def _openssl_decrypt(data: bytes, passphrase: bytes) -> str | None:
    """The plain text, or None when the passphrase is wrong (bad padding or not a key file)."""
    salt, body = data[len(SALTED):len(SALTED) + 8], data[len(SALTED) + 8:]
    if len(salt) != 8 or not body or len(body) % 16:
        return None
    key, iv = _bytes_to_key(passphrase, salt)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(decryptor.update(body) + decryptor.finalize()) + unpadder.finalize()
        text = plain.decode("ascii")
    except ValueError:
        return None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or not all(";" in line and line.split(";", 1)[0].isdigit() for line in lines):
        return None
    return text
