"""The administrative login of a server started on a restored data directory.

A physical backup carries the source server's accounts, so the hash of its administrative
password, but never the password: hms keeps that in HMS_HOME/client.cnf, outside the data
directory. A server started on a restored copy (a scratch server, a new home) is given a
new random root password through an --init-file, which the server runs before it accepts
any connection. The file holds only the password's mysql_native_password hash, is readable
by the server account alone, is deleted as soon as the server answers, and its statements
run with sql_log_bin = 0: neither the password nor its hash reaches the binary log.
"""

from __future__ import annotations

import os
import pwd
import re
from pathlib import Path

from .. import passwords
from ..server import EmbeddedServer, ServerStatus
from .errors import BackupError

ADMIN_USER = "root"  # the embedded server's administrative account (server/embedded.py)
ADMIN_HOSTS = ("localhost", "127.0.0.1")
INIT_NAME = "hms-first-login.sql"
_HASH = re.compile(r"^\*[0-9A-F]{40}$")
_GTID = re.compile(r"^\d{1,10}-\d{1,10}-\d{1,20}(,\d{1,10}-\d{1,10}-\d{1,20})*$")


def init_sql(password: str, *, gtid_state: str | None = None) -> str:
    """The statements that give root@localhost and root@127.0.0.1 `password` (as a hash only).

    With `gtid_state` (a backup's GTID position), the new binary log also starts there, so
    transactions written after the restore continue the source's GTID sequence (and a
    roll-forward's events, which carry their own GTIDs, follow on in strict mode).
    """
    hashed = passwords.native_hash(password)
    if not _HASH.match(hashed):  # values in this file cannot be bound: only these shapes get in
        raise BackupError("the new administrative password could not be hashed", "Try again")
    lines = ["SET sql_log_bin = 0;"]
    for host in ADMIN_HOSTS:
        account = f"'{ADMIN_USER}'@'{host}'"
        lines += [f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY PASSWORD '{hashed}';",
                  f"ALTER USER {account} IDENTIFIED VIA mysql_native_password USING '{hashed}' ACCOUNT UNLOCK;",
                  f"GRANT ALL PRIVILEGES ON *.* TO {account} WITH GRANT OPTION;"]
    if gtid_state:
        if not _GTID.match(gtid_state):
            raise BackupError(f"the backup's GTID position '{gtid_state[:80]}' is malformed", "Use another backup")
        lines += ["RESET MASTER;", f"SET GLOBAL gtid_binlog_state = '{gtid_state}';"]
    return "\n".join(lines) + "\n"


def write_init_file(directory: Path, account: pwd.struct_passwd, password: str, *,
                    gtid_state: str | None = None) -> Path:
    """Write the init file into `directory` (the server account's own), readable by that account only."""
    path = directory / INIT_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)
        if account.pw_uid != os.geteuid():
            os.fchown(fd, account.pw_uid, account.pw_gid)
        os.write(fd, init_sql(password, gtid_state=gtid_state).encode("ascii"))
    finally:
        os.close(fd)
    return path


class RestoredServer(EmbeddedServer):
    """An embedded server on a restored data directory, before and during its first start.

    Its client.cnf (the new root password) exists before that start, so a plain start would
    first ping a socket that is not there yet, and PyMySQL leaks the socket of a failed Unix
    socket connect. Nothing can be running there before the first launch: that ping is skipped.
    """

    def __init__(self, home: Path, profile: str = "bulk"):
        super().__init__(home, profile)
        self._launched = False

    def status(self) -> ServerStatus:
        if not self._launched:
            return ServerStatus(running=False, home=self.home)
        return super().status()

    def _launch(self, server_bin: Path) -> None:
        self._launched = True
        super()._launch(server_bin)
