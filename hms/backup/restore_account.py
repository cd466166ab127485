"""The account a restore runs as, and what it may leave behind.

A dump is replayed as the target database's restore account, `hms_restore_<16 hex of
sha256(database)>`@<the host the server sees the tools at>: it holds only privileges on
that one database (no GRANT OPTION, nothing global), gets a random one-time password
for the run (through the 0600 option file only) and is locked again, with a new
password nobody knows, when the run ends. The dump's DEFINER clauses are stripped, so
the routines, triggers, views and events it creates are owned by this account: when
they run, they run with the database's privileges and no more. It is kept (locked)
because those objects need their definer; verify's scratch accounts are dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from typing import Iterator

import pymysql

from .. import dialect as dialects
from ..connection import ConnectionInfo
from ..identifiers import quote_identifier, quote_name
from ..migrations.files import REPEATABLE_DIRS, discover

PREFIX = "hms_restore_"
SCRATCH_PREFIX = PREFIX + "tmp_"
# Everything a dump replay (and the objects it creates) needs on the one database.
DATABASE_PRIVILEGES = ("SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, "
                       "CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, "
                       "CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER")
LEFTOVERS = "SELECT User, Host FROM mysql.user WHERE User LIKE 'hms\\_restore\\_%%'"
CLIENT_HOST = "SELECT SUBSTRING_INDEX(USER(), '@', -1)"
# Objects that run with their definer's rights: SQL SECURITY DEFINER routines and views,
# and every trigger and event (they have no other mode).
DEFINER_OBJECTS = """
SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME FROM information_schema.ROUTINES
 WHERE ROUTINE_SCHEMA = %s AND SECURITY_TYPE = 'DEFINER'
UNION ALL SELECT 'view', TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s AND SECURITY_TYPE = 'DEFINER'
UNION ALL SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s
UNION ALL SELECT 'event', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s
"""
EVENTS = "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s AND STATUS <> 'DISABLED'"


def account_name(database: str, scratch: bool = False) -> str:
    """Return the restore account's user name for `database` (at most 32 characters)."""
    return (SCRATCH_PREFIX if scratch else PREFIX) + hashlib.sha256(database.encode()).hexdigest()[:16]


@contextlib.contextmanager
def restore_account(conn, info: ConnectionInfo, database: str, *, scratch: bool = False) -> Iterator[ConnectionInfo]:
    """Yield a login that may only work inside `database`; lock (or, `scratch`, drop) it afterwards.

    `conn` is the administrative session that creates and locks the account. The login
    is meant for one client session (the replay), which starts at once: a concurrent
    run may lock the account for new logins (see _close_leftovers) but not end a session.
    """
    host = _client_host(conn)
    user = account_name(database, scratch)
    password = secrets.token_urlsafe(24) + "aA1!"
    _close_leftovers(conn, keep=(user, host))
    identified, hashed = dialects.for_connection(conn).identified(password)  # the hash only: logged
    with conn.cursor() as cur:
        cur.execute(f"CREATE USER IF NOT EXISTS %s@%s {identified} ACCOUNT LOCK", (user, host, hashed))
        # An existing account is brought back to exactly the database's privileges.
        cur.execute("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s", (user, host))
        cur.execute(f"GRANT {DATABASE_PRIVILEGES} ON {quote_identifier(database)}.* TO %s@%s", (user, host))
        cur.execute(f"ALTER USER %s@%s {identified} ACCOUNT UNLOCK", (user, host, hashed))
    try:
        yield info.with_login(user, password).with_database(database)
    finally:
        _close(conn, user, host, drop=scratch)


def settle(conn, login: ConnectionInfo, database: str) -> list[str]:
    """Disable every restored event; return the definer-rights objects sql/ does not define.

    `conn` is the administrative session; `login` the restore account that owns the
    objects. Events come back disabled so nothing restored runs on its own before
    someone looks (re-enable one with ALTER EVENT ... ENABLE); the DEFINER is stated so
    the administrative login never becomes an event's owner.
    """
    known = {f.object_name for f in discover() if f.group in REPEATABLE_DIRS or f.group == "schema"}  # + views
    with conn.cursor() as cur:
        cur.execute(EVENTS, (database,))
        for (event,) in cur.fetchall():
            cur.execute(f"ALTER DEFINER = %s@%s EVENT {quote_identifier(database)}.{quote_name(event)} DISABLE",
                        (login.user, _client_host(conn)))
        cur.execute(DEFINER_OBJECTS, (database,) * 4)
        return sorted(f"{kind} {name}" for kind, name in cur.fetchall() if name not in known)


def _client_host(conn) -> str:
    """The host part the server gives this session (localhost for a socket, else the address)."""
    with conn.cursor() as cur:
        cur.execute(CLIENT_HOST)
        return cur.fetchone()[0]


def _close(conn, user: str, host: str, drop: bool) -> None:
    with conn.cursor() as cur:
        if drop:
            cur.execute("DROP USER IF EXISTS %s@%s", (user, host))
        else:
            identified, hashed = dialects.for_connection(conn).identified(secrets.token_urlsafe(32))
            cur.execute(f"ALTER USER %s@%s {identified} ACCOUNT LOCK", (user, host, hashed))


def _close_leftovers(conn, keep: tuple[str, str]) -> None:
    """Lock the restore accounts a killed run left open (their password may sit in a stray file).

    ACCOUNT LOCK stops new logins only, so a restore running elsewhere keeps its session.
    Scratch accounts are left to their own verify, which drops them.
    """
    with conn.cursor() as cur:
        cur.execute(LEFTOVERS)
        rows = [(user, host) for user, host in cur.fetchall() if (user, host) != keep]
        for user, host in rows:
            with contextlib.suppress(pymysql.err.MySQLError):
                cur.execute("ALTER USER %s@%s ACCOUNT LOCK", (user, host))


@contextlib.contextmanager
def binlog_replay(conn, login: ConnectionInfo, privilege: str) -> Iterator[None]:
    """Let the restore account `login` run mariadb-binlog's BINLOG statements for the block's duration.

    `privilege` is dialect.binlog_replay_privilege() (MariaDB: BINLOG REPLAY, global by
    nature). It is revoked when the block ends, so the account kept (locked) afterwards
    holds only its database's privileges again. BINLOG REPLAY also lets row events reach
    tables the account has no grant on: what keeps a roll-forward inside its database is
    the replay guard (replay_stream.py), which refuses any other database's row events.
    """
    if privilege not in REPLAY_PRIVILEGES:
        raise ValueError(f"unexpected privilege {privilege!r}")
    host = _client_host(conn)
    with conn.cursor() as cur:
        cur.execute(f"GRANT {privilege} ON *.* TO %s@%s", (login.user, host))
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute(f"REVOKE {privilege} ON *.* FROM %s@%s", (login.user, host))


REPLAY_PRIVILEGES = ("BINLOG REPLAY",)
