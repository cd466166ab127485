"""The replication account: the one login replicas use to read the primary's binary log.

`hms_replication`@`127.0.0.1` holds REPLICATION SLAVE and nothing else (semi-sync
needs no more; `hms replica status` reads each server as its administrative login), and
logs in only over TLS (REQUIRE SSL; replicas verify the primary's certificate, link.py).
It is created from the password's hash (hms.passwords.native_hash), `IDENTIFIED BY
PASSWORD '*...'`, so the binary log, which replicates the statement to every replica,
never holds the password. The password is kept 0600 in replication.cnf in the home of every member
(any of them may have to connect to a new primary after a promotion) and reaches a
replica's server only through CHANGE MASTER TO, which is not logged (the server keeps
it in master.info in its private data directory).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pymysql

from .. import passwords
from ..connection import database_error
from ..optionfiles import read_option_file, write_option_file

USER = "hms_replication"
# Replicas on this machine connect over loopback TCP. On separate machines this would be
# the replicas' network (e.g. '10.0.0.%'), with TLS required: see docs/replication.md.
HOST = "127.0.0.1"
LOGIN_NAME = "replication.cnf"


def login_file(home: Path) -> Path:
    return Path(home) / LOGIN_NAME


def read_password(home: Path) -> str | None:
    """The replication password kept in `home`, or None."""
    path = login_file(home)
    if not path.is_file():
        return None
    return read_option_file(path).get("password") or None


def write_password(home: Path, password: str) -> None:
    write_option_file(login_file(home), "The replication account (hms_replication). Keep private (0600).",
                      user=USER, password=password)


def forget(home: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        login_file(home).unlink()


def ensure(conn, home: Path) -> str:
    """Create (or re-key) the replication account on the primary behind `conn`; return its password.

    The password kept in `home` is reused when there is one, so replicas attached
    earlier keep working.
    """
    password = read_password(home)
    if password is None:
        password = passwords.generate(32)
    hashed = passwords.native_hash(password)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY PASSWORD %s", (USER, HOST, hashed))
            cur.execute("ALTER USER %s@%s IDENTIFIED BY PASSWORD %s REQUIRE SSL", (USER, HOST, hashed))
            cur.execute("GRANT REPLICATION SLAVE ON *.* TO %s@%s", (USER, HOST))
    except pymysql.err.MySQLError as exc:
        raise database_error(exc, "creating the replication account on the primary",
                             "The primary's administrative login must be able to CREATE USER and GRANT") from None
    write_password(home, password)
    return password


def drop(conn) -> None:
    """Drop the replication account (the last replica is gone)."""
    with conn.cursor() as cur:
        cur.execute("DROP USER IF EXISTS %s@%s", (USER, HOST))
