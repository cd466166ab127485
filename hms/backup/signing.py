"""Manifest signatures: an HMAC-SHA256 over a manifest's canonical JSON, keyed by a secret
kept 0600 in HMS_HOME.

A sha256 in a manifest proves only that a file was not damaged: anyone can compute it for
a dump they wrote. The MAC proves the manifest (and so, through its sha256, the dump) was
written by an hms that holds this installation's key. The key is made on the first backup
and never leaves HMS_HOME; a backup from another installation is "unsigned" here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path

from ..config import home_from_env
from .errors import BackupError

KEY_NAME = "backup.key"
MAC_FIELD = "mac"
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700  # whatever the umask: backups and the key are the owner's only


def default_key_file() -> Path:
    """Return $HMS_HOME/backup.key: where the key lives whichever server is used (--url too)."""
    return home_from_env() / KEY_NAME


def load_key(path: Path | None = None, *, create: bool = False) -> bytes | None:
    """Return the backup key at `path` (default `default_key_file()`), making it when `create`.

    None when there is no key and `create` is false: nothing can be signed here yet, so
    every backup is unsigned. A key readable by others, or a link, is refused.
    """
    path = Path(path) if path is not None else default_key_file()
    if create and not path.exists():
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
        except FileExistsError:
            pass  # another process made it meanwhile: use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                os.fchmod(handle.fileno(), PRIVATE_FILE)
                handle.write(secrets.token_bytes(32).hex() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BackupError(f"the backup key {path} cannot be read ({exc.strerror})",
                          "It must be a regular file owned by this user") from None
    with os.fdopen(fd, "r") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077 or st.st_uid != os.geteuid():
            raise BackupError(f"the backup key {path} is readable or writable by others",
                              f"Run `chmod 600 {path}` as its owner (and consider the key leaked: "
                              "move it away to start a new one)")
        text = handle.read().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise BackupError(f"the backup key {path} is malformed", "Move it away; the next backup makes a new one")
    return key


def canonical(data: dict) -> bytes:
    """Return the bytes a MAC covers: the manifest's JSON without its MAC, keys sorted, compact."""
    body = {k: v for k, v in data.items() if k != MAC_FIELD}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(data: dict, key: bytes) -> dict:
    """Return `data` with its MAC added."""
    return {**data, MAC_FIELD: hmac.new(key, canonical(data), hashlib.sha256).hexdigest()}


def is_signed(data: dict, key: bytes | None) -> bool:
    """True when `data` carries a MAC made with `key`."""
    mac = data.get(MAC_FIELD)
    if key is None or not isinstance(mac, str):
        return False
    return hmac.compare_digest(mac, hmac.new(key, canonical(data), hashlib.sha256).hexdigest())
