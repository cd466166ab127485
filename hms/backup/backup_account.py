"""The account mariadb-backup logs in as: what the tool needs on the server, and no more.

`hms_physical_backup`@<the host the server sees the tools at> holds only the global
privileges of `dialect.physical_backup_privileges` (RELOAD, PROCESS, LOCK TABLES,
BINLOG MONITOR on MariaDB 10.5+): no SELECT on any table, no SUPER. It is made by the
administrative login, gets a random one-time password for the run, and is locked again
with a new password nobody knows when the run ends. The password is sent to the server
only as its mysql_native_password hash (MariaDB writes CREATE/ALTER USER statements into
the binary log as they were sent), and reaches the tool only through its 0600 option file.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Iterator

import pymysql

from .. import dialect as dialects
from .. import errcodes, passwords
from ..connection import ConnectionInfo, error_code, server_message
from .errors import BackupError

ACCOUNT = "hms_physical_backup"
CLIENT_HOST = "SELECT SUBSTRING_INDEX(USER(), '@', -1)"


@contextlib.contextmanager
def backup_account(conn, info: ConnectionInfo, dialect: dialects.Dialect) -> Iterator[ConnectionInfo]:
    """Yield the backup account's login (reaching the server the way `info` does); lock it afterwards.

    `conn` is an administrative session on the server `info` names.
    """
    with conn.cursor() as cur:
        cur.execute(CLIENT_HOST)
        host = cur.fetchone()[0]
    password = secrets.token_urlsafe(24) + "aA1!"
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY PASSWORD %s ACCOUNT LOCK",
                        (ACCOUNT, host, _locked_hash()))
            # An existing account is brought back to exactly the tool's privileges.
            cur.execute("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s", (ACCOUNT, host))
            cur.execute(f"GRANT {dialects.physical_backup_privileges(dialect)} ON *.* TO %s@%s", (ACCOUNT, host))
            cur.execute("ALTER USER %s@%s IDENTIFIED BY PASSWORD %s ACCOUNT UNLOCK",
                        (ACCOUNT, host, passwords.native_hash(password)))
    except pymysql.err.MySQLError as exc:
        if error_code(exc) in (errcodes.SPECIFIC_ACCESS_DENIED, errcodes.ACCESS_DENIED, errcodes.DB_ACCESS_DENIED,
                               errcodes.TABLEACCESS_DENIED):
            raise BackupError(f"preparing the backup account {ACCOUNT} was refused: {server_message(exc)}",
                              "Run physical backups with the administrative login (the embedded server's, "
                              "or an account that may create users and grant RELOAD, PROCESS, LOCK TABLES "
                              "and BINLOG MONITOR)") from None
        raise BackupError(f"preparing the backup account {ACCOUNT} failed: {server_message(exc)}",
                          "Check the server and try again") from None
    try:
        yield info.with_login(ACCOUNT, password).with_database(None)
    finally:
        with contextlib.suppress(pymysql.err.MySQLError), conn.cursor() as cur:
            cur.execute("ALTER USER %s@%s IDENTIFIED BY PASSWORD %s ACCOUNT LOCK", (ACCOUNT, host, _locked_hash()))


def _locked_hash() -> str:
    """The hash of a random password nobody ever sees."""
    return passwords.native_hash(secrets.token_urlsafe(32))
