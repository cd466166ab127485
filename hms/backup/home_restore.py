"""`hms backup restore PATH --home DIR`: a whole new server home from a physical backup.

Disaster recovery: the server's disk is gone, its backups (and backup.key) are not. DIR
must be new or empty. The backup's chain is copied into DIR (every file checked against
its signed manifest before anything is prepared), prepared, and moved into DIR/data by
mariadb-backup --move-back; the home's directories are made and given to the server
account, and hms.cnf / my.cnf written as `hms server start` writes them.

The backup carries the old server's accounts but never its administrative password, so
the first start runs an init file (first_login.py) that gives root a new random password,
kept only in DIR/client.cnf (0600), and starts the new binary log at the backup's GTID
position. Then the optional roll-forward runs on the new server, which is stopped at the
end: `HMS_HOME=DIR hms server start` runs it. Whatever fails, nothing made in DIR is kept.

A backup of an encrypted home is prepared and started with the installation's keys
($HMS_HOME/keys, physical_keys.py), which DIR gets a copy of: with a passphrase-protected
key file, `HMS_KEY_PASSPHRASE=... HMS_HOME=DIR hms server start` runs it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import home_from_env
from ..connection import session
from ..databases import database_exists
from ..errors import HmsError
from ..optionfiles import write_option_file
from ..server import EmbeddedServer
from ..server.config import MANAGED_NAME, USER_HEADER
from ..server.runas import prepare_home, server_account
from . import first_login, mariadb_backup, physical_files, physical_keys, signing
from .errors import BackupError
from .manifest import Backup
from .physical_chain import open_chain
from .physical_restore import physical_tools
from .prepare import prepare_chain

STAGING = ".hms-restore"
FIRST_START_POOL = 128 << 20
CLIENT_COMMENT = "Administrative login of the embedded server. Keep private (0600)."

RollForward = Callable[[EmbeddedServer, "dict | None"], None]


@dataclass
class HomeResult:
    """A restored server home: from which backup (and chain), and the server it holds."""

    backup: Backup
    chain: list[Backup]
    home: Path
    version: str | None


def restore_home(path: Path | str, home: Path | str, *, key_file: Path | None = None, trust_unsigned: bool = False,
                 roll_forward: RollForward | None = None, profile: str = "bulk",
                 progress: Callable[[int], None] | None = None,
                 before_start: Callable[[], None] | None = None) -> HomeResult:
    """Make `home` (new or empty) a server home holding physical backup `path`; return what was restored.

    `roll_forward(server, coordinates)` runs on the new home's running server, with the binary
    log coordinates of the backup's snapshot ({"file", "position", "gtid"}); the server is
    stopped afterwards. `before_start()` runs once the copy is prepared, before the server
    first starts (a roll-forward's plan, made meanwhile, is awaited there; raising removes
    the home).
    """
    home = Path(home).expanduser().absolute()
    made = _check_target(home)
    chain = open_chain(path, key_file=key_file, trust_unsigned=trust_unsigned)
    tip = chain[-1]
    keys = physical_keys.chain_keys(chain, home_from_env())  # an encrypted chain: refused here without its keys
    binary = physical_tools()
    server = first_login.RestoredServer(home, profile=profile)
    launched = False
    try:
        home.mkdir(parents=True, exist_ok=True)
        staging = home / STAGING
        prepare_chain(chain, staging / "data", binary=binary, progress=progress, keys=keys)
        mariadb_backup.move_back(binary, staging / "data", server.datadir)
        physical_files.remove_tree(staging)
        account = server_account()
        prepare_home(home, server.log_file, account)
        physical_keys.adopt(keys, home, account.pw_uid)  # HMS_KEY_PASSPHRASE=... HMS_HOME=DIR hms server start
        password = secrets.token_urlsafe(24)
        gtid = (tip.manifest.binlog or {}).get("gtid") or None
        init = first_login.write_init_file(server.home / "tmp", account, password, gtid_state=gtid)
        user_config = USER_HEADER.format(managed=MANAGED_NAME) + f"!include {home / MANAGED_NAME}\n" + "\n[mysqld]\n"
        # The first start only sets the new password (and replays, with a roll-forward): a small
        # buffer pool starts at once; `hms server start` then runs with the profile's.
        first_start = "" if roll_forward is not None else f"innodb_buffer_pool_size = {FIRST_START_POOL}\n"
        server.config_file.write_text(user_config + f"init-file = {init}\n" + first_start)
        write_option_file(server.client_file, CLIENT_COMMENT, user=first_login.ADMIN_USER, password=password,
                          socket=str(server.socket_path), port=0)
        if before_start is not None:
            before_start()
        launched = True
        status = server.start()
        init.unlink()
        server.config_file.write_text(user_config)  # my.cnf as `hms server start` makes it: the user's from now on
        _copy_key(key_file, home)
        if roll_forward is not None:
            roll_forward(server, tip.manifest.binlog)
        with session(server.connection_info(), database=None) as conn:
            if not database_exists(conn, tip.manifest.database):
                raise BackupError(f"the restored server holds no database '{tip.manifest.database}'",
                                  "Use another backup")
        server.stop()
    except BaseException:
        if launched:
            with contextlib.suppress(HmsError, OSError):
                server.stop()
        _remove_made(home, made)
        raise
    return HomeResult(backup=tip, chain=chain, home=home, version=status.version)


def _check_target(home: Path) -> bool:
    """Refuse a home that exists and is not an empty directory; True when it does not exist yet."""
    if home.is_symlink() or (home.exists() and not home.is_dir()):
        raise BackupError(f"{home} exists and is not a directory", "Restore into a new or empty directory")
    if not home.exists():
        return True
    if any(home.iterdir()):
        raise BackupError(f"{home} is not empty", "Restore into a new or empty directory: a server home is never "
                                                  "restored over another one")
    return False


def _remove_made(home: Path, made: bool) -> None:
    """Remove what the restore made: the whole home when it made it, else the home's contents."""
    if made:
        physical_files.remove_tree(home)
        return
    for child in home.iterdir():
        if child.is_dir() and not child.is_symlink():
            physical_files.remove_tree(child)
        else:
            child.unlink()


def _copy_key(key_file: Path | None, home: Path) -> None:
    """Give the new home the backup key that trusted this backup, so it trusts the same backups."""
    source = Path(key_file) if key_file is not None else signing.default_key_file()
    if signing.load_key(source) is None:
        return  # restored with --trust-unsigned and no key: the home makes its own on its first backup
    fd = os.open(home / signing.KEY_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, signing.PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), signing.PRIVATE_FILE)
        handle.write(source.read_bytes())
