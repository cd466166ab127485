"""The server keys a physical backup of an encrypted home needs, and its passphrase for
exactly as long as a reader needs it.

mariadb-backup loads the file_key_management plugin itself: at --backup with the live
server's plugin options (SHOW VARIABLES: the key file and, when the key file is stored
encrypted by a passphrase, `FILE:` and the path of the passphrase file, which otherwise
exists only while the server starts), at --prepare with the options its copy recorded in
backup-my.cnf. A server started on a prepared copy (a scratch server, a restored home, a
replica) needs the keys as well.

- `live_keys(conn)`: what the live server's plugin reads, checked before anything is made
  (HMS_KEY_PASSPHRASE present and right); `handed_to_tool(live)` writes the passphrase
  file where the server names it for the length of mariadb-backup --backup only.
- `chain_keys(chain, keys_home)` / `home_keys(home)`: the key file a copy is prepared and
  started with: the installation's (`$HMS_HOME/keys/server.key`, like backup.key for
  logical backups), or a replica's primary's; checked before anything is made.
- `preparing(keys, copies)`: each copy's backup-my.cnf (the copy's, never the backup's)
  names that key file, and a passphrase file beside the copy exists for the prepare only.
- `adopt(keys, home)`: a new home gets a copy of keys/ (server.key still encrypted by the
  passphrase, backup.key) and protection.json says it encrypts, so `hms server start`
  (HMS_KEY_PASSPHRASE in its environment) starts it like the source.

Every passphrase file is written and removed by hms/encryption.py (write_passphrase_file,
passphrase_file): 0600, never in an argument list, a log or a file that outlives the command.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from .. import encryption
from ..server import protection
from .errors import BackupError
from .manifest import PHYSICAL_DATA, Backup

TOOL_CNF = "backup-my.cnf"
FILENAME = "file_key_management_filename"
FILEKEY = "file_key_management_filekey"
PLUGIN_VARIABLES = "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('file_key_management_filename', " \
                   "'file_key_management_filekey')"
NEEDED_BY = "this command (mariadb-backup and the copy's server read the key file with it)"


@dataclass(frozen=True)
class LiveKeys:
    """The passphrase file the live server's plugin names, and the passphrase that goes in it."""

    filekey: Path
    passphrase: str


@dataclass(frozen=True)
class Keys:
    """The server key file a copy is prepared and started with, its passphrase (None: plain) and key ids."""

    key_file: Path
    passphrase: str | None
    ids: tuple[int, ...]


def live_keys(conn) -> LiveKeys | None:
    """What mariadb-backup --backup needs to read the live server's key file; None when it needs nothing.

    Raises ConfigError (naming HMS_KEY_PASSPHRASE) when the key file is encrypted by a
    passphrase and the environment has none, or another one."""
    with conn.cursor() as cur:
        cur.execute(PLUGIN_VARIABLES)
        values = {name.lower(): value for name, value in cur.fetchall()}
    filekey = values.get(FILEKEY) or ""
    if not filekey.startswith("FILE:"):
        return None  # not encrypted, or a key file the plugin reads as it is
    _read_key_file(Path(values.get(FILENAME) or ""))  # no or a wrong passphrase: refused here, before anything
    path = Path(filekey.removeprefix("FILE:"))
    if not path.is_absolute() or not path.parent.is_dir():
        raise BackupError(f"the server names its passphrase file {path}, which is not in a directory on this machine",
                          "Take physical backups on the server's own machine")
    return LiveKeys(filekey=path, passphrase=encryption.passphrase_from_env() or "")


@contextlib.contextmanager
def handed_to_tool(live: LiveKeys | None) -> Iterator[None]:
    """The passphrase file where the live server names it, for the block (mariadb-backup --backup) only."""
    if live is None:
        yield
        return
    with encryption.passphrase_file(live.filekey, live.passphrase):
        yield


def is_encrypted(backup: Backup) -> bool:
    """Whether the server a physical backup was taken from encrypted its files (its backup-my.cnf names a key file)."""
    return _key_options(backup.path / PHYSICAL_DATA / TOOL_CNF).get(FILENAME) is not None


def chain_keys(chain: list[Backup], keys_home: Path) -> Keys | None:
    """The keys a prepared copy of `chain` needs, from `keys_home`/keys; None when the backups are not encrypted.

    Checked before anything is made: the key file is there and opens with HMS_KEY_PASSPHRASE
    when it is protected (ConfigError naming the variable otherwise)."""
    if not chain or not is_encrypted(chain[0]):
        return None
    key_file = encryption.server_key_file(keys_home)
    if not key_file.is_file():
        raise BackupError(f"{chain[0].name} was taken from a server that encrypts its files, and its key file "
                          f"{key_file} is not here",
                          "Set HMS_HOME to the home whose keys/ folder it was taken under (or a copy of that keys/)")
    return home_keys(keys_home)


def home_keys(home: Path) -> Keys:
    """The keys of the encrypted home `home` (its key file checked with HMS_KEY_PASSPHRASE when protected)."""
    key_file = encryption.server_key_file(home)
    text = _read_key_file(key_file)
    protected = encryption.is_protected_file(key_file)
    return Keys(key_file=key_file, passphrase=encryption.passphrase_from_env() if protected else None,
                ids=tuple(encryption.ids_in(text)))


@contextlib.contextmanager
def preparing(keys: Keys | None, copies: list[Path]) -> Iterator[Path | None]:
    """Let mariadb-backup --prepare read `keys` in each of `copies` (the full copy first), for the block only.

    Yields the options file the prepare reads (the full copy's backup-my.cnf), None when
    the copies are not encrypted. Each copy's backup-my.cnf is made to name the key file
    (the source's path may not be here, or be another home's); with a passphrase, that is
    written to a 0600 file beside the first copy and removed however the block ends."""
    if keys is None:
        yield None
        return
    filekey = copies[0].with_name(f".{copies[0].name}.filekey") if keys.passphrase else None
    for copy in copies:
        _point_at(copy / TOOL_CNF, keys.key_file, filekey)
    if filekey is None:
        yield copies[0] / TOOL_CNF
        return
    with encryption.passphrase_file(filekey, keys.passphrase):
        yield copies[0] / TOOL_CNF


def adopt(keys: Keys | None, home: Path, server_uid: int) -> None:
    """Give the new home `home` the keys (a copy of keys/) and the choice to encrypt, as its source had."""
    if keys is None:
        return
    directory = encryption.keys_dir(home)
    directory.mkdir(mode=0o711, exist_ok=True)
    os.chmod(directory, 0o711)  # as hms/encryption.py makes it: the server account reads its own key file only
    target = directory / encryption.SERVER_KEY
    _copy_private(keys.key_file, target)
    if os.geteuid() == 0:
        os.chown(target, server_uid, -1)
    backup_key = keys.key_file.with_name(encryption.BACKUP_KEY)
    if backup_key.is_file():
        _copy_private(backup_key, directory / encryption.BACKUP_KEY)  # it reads the same encrypted logical backups
    choices = protection.load(home)
    protection.save(home, replace(choices, encrypt=True, encryption_key_id=max(keys.ids)))


def _read_key_file(path: Path) -> str:
    try:
        return encryption.read_key_file(path, needed_by=NEEDED_BY)
    except OSError as exc:
        raise BackupError(f"the server key file {path} cannot be read ({exc.strerror})",
                          "Run hms as root or as the server's own account") from None


def _key_options(cnf: Path) -> dict[str, str]:
    """The key options mariadb-backup recorded in a copy's backup-my.cnf."""
    try:
        lines = cnf.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return {}
    options = {}
    for line in lines:
        name, sep, value = line.partition("=")
        if sep and name.strip() in (FILENAME, FILEKEY):
            options[name.strip()] = value.strip()
    return options


def _point_at(cnf: Path, key_file: Path, filekey: Path | None) -> None:
    """Rewrite a copy's backup-my.cnf to name `key_file` (and `filekey`, the passphrase file) for its prepare."""
    lines = [line for line in cnf.read_text(encoding="utf-8").splitlines()
             if line.partition("=")[0].strip() not in (FILENAME, FILEKEY)]
    lines.append(f"{FILENAME}={key_file}")
    if filekey is not None:
        lines.append(f"{FILEKEY}=FILE:{filekey}")
    cnf.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _copy_private(source: Path, target: Path) -> None:
    """Copy `source` to `target` (0600), replacing it (a replica rebuilt keeps its home's keys/)."""
    fresh = target.with_name(target.name + ".new")
    fresh.unlink(missing_ok=True)
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle, open(source, "rb") as original:
        shutil.copyfileobj(original, handle)
    os.replace(fresh, target)
