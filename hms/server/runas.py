"""Who the embedded server runs as, and the directories that account owns.

Started by root, the server never runs as root: it runs as the distribution's
unprivileged system user (Debian's `mysql`), which owns only what the server writes
(data, binlog, tmp, run, files, its error log). The home itself and its option files
(client.cnf, service.cnf: the administrative and service logins) stay root's.
Started by anyone else, the server runs as that user, as before.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from .. import dialect as dialects
from ..errors import ServerError

# Directories the server writes, each owned by the server account and private to it,
# except run/ (the socket), which clients must be able to enter.
SERVER_DIRS = {"data": 0o700, "binlog": 0o700, "tmp": 0o700, "files": 0o700, "run": 0o711}


def server_account() -> pwd.struct_passwd:
    """The account the server process runs as: the system user when started by root, else the caller."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(dialects.SERVER_SYSTEM_USER)
    except KeyError:
        raise ServerError(f"the embedded server will not run as root, and there is no "
                          f"`{dialects.SERVER_SYSTEM_USER}` system user to run it as",
                          f"Install the server package (it creates `{dialects.SERVER_SYSTEM_USER}`), "
                          f"or `useradd --system --no-create-home {dialects.SERVER_SYSTEM_USER}`") from None


def prepare_home(home: Path, log_file: Path, account: pwd.struct_passwd) -> None:
    """Create the server's directories and error log, owned by `account`; check it can reach them."""
    home.mkdir(parents=True, exist_ok=True)
    if account.pw_uid != os.geteuid():
        _let_traverse(home, account)
    for name, mode in SERVER_DIRS.items():
        directory = home / name
        directory.mkdir(exist_ok=True)
        _own_tree(directory, account)
        os.chmod(directory, mode)
    if not log_file.exists():
        log_file.touch(mode=0o600)
    _own(log_file, account)


def _let_traverse(home: Path, account: pwd.struct_passwd) -> None:
    """Give the server account search (x) on the home, and refuse a home it still cannot reach."""
    info = home.stat()
    if info.st_uid == os.geteuid() and not info.st_mode & stat.S_IXOTH:
        # Search only, no listing: every file in the home carries its own mode.
        os.chmod(home, stat.S_IMODE(info.st_mode) | stat.S_IXOTH)
    groups = {account.pw_gid} | {g.gr_gid for g in _groups_of(account.pw_name)}
    for directory in [home, *home.parents]:
        if not _can_search(directory.stat(), account.pw_uid, groups):
            raise ServerError(f"the server account `{account.pw_name}` cannot reach {home}: "
                              f"{directory} is mode {stat.S_IMODE(directory.stat().st_mode):o}",
                              f"Set HMS_HOME to a directory under a path others may enter "
                              f"(e.g. /var/lib/hms), or `chmod o+x {directory}`")


def _can_search(info: os.stat_result, uid: int, groups: set[int]) -> bool:
    if info.st_uid == uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid in groups:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def _groups_of(name: str):
    import grp
    return [g for g in grp.getgrall() if name in g.gr_mem]


def _own(path: Path, account: pwd.struct_passwd) -> None:
    info = path.lstat()
    if (info.st_uid, info.st_gid) != (account.pw_uid, account.pw_gid):
        os.lchown(path, account.pw_uid, account.pw_gid)


def _own_tree(directory: Path, account: pwd.struct_passwd) -> None:
    """chown a directory and everything in it (a home first started before hms dropped root)."""
    if directory.lstat().st_uid == account.pw_uid:
        return
    _own(directory, account)
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            _own(Path(root) / name, account)
