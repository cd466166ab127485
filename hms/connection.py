"""Connections: how to reach and log in to a server, and the one way to open a session.

`session()` opens a connection, yields it and always closes it; `transaction()` commits
or rolls back. `connect()` is for the few long-lived connections (a console request,
a loader session) whose owner closes them.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import pymysql
import pymysql.cursors

from . import errcodes
from .errors import ConfigError, ConnectionFailed, DatabaseError

# One sql_mode for every session the tools open, so routines and triggers are
# created with the same mode on MySQL 8.4 and MariaDB, whatever the server default.
SQL_MODE = ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION")


@dataclass(frozen=True)
class ConnectionInfo:
    """How to reach and log in to a server; `database` is the default schema or None."""

    user: str
    password: str = ""
    host: str = "127.0.0.1"
    port: int = 3306
    unix_socket: str | None = None
    database: str | None = None
    # A CA certificate file: TLS required, the server's certificate and name verified (hms/tls.py).
    ssl_ca: str | None = None

    def with_database(self, database: str | None) -> "ConnectionInfo":
        """Return a copy whose default schema is `database`."""
        return replace(self, database=database)

    def with_login(self, user: str, password: str) -> "ConnectionInfo":
        """Return a copy that logs in as another account on the same server."""
        return replace(self, user=user, password=password)

    @property
    def where(self) -> str:
        """The server's address, for messages (never the password)."""
        return self.unix_socket or f"{self.host}:{self.port}"

    def url(self, hide_password: bool = True) -> str:
        """A SQLAlchemy URL for this server; the password is masked unless asked."""
        from sqlalchemy.engine import URL

        url = URL.create(
            "mysql+pymysql", username=self.user, password=self.password or None,
            host="localhost" if self.unix_socket else self.host,
            port=None if self.unix_socket else self.port,
            database=self.database,
            query={**({"unix_socket": self.unix_socket} if self.unix_socket else {}),
                   **({"ssl_ca": self.ssl_ca} if self.ssl_ca else {})},
        )
        return url.render_as_string(hide_password=hide_password)


def info_from_url(url: str) -> ConnectionInfo:
    """Return the ConnectionInfo a SQLAlchemy URL describes."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        port = parsed.port  # parsed lazily: ':abc' or '[::1' fail only here
    except (ArgumentError, ValueError):
        raise ConfigError("the database URL is malformed",
                          "Check the host and the port, and use the form "
                          "mysql+pymysql://USER:PASSWORD@HOST:PORT/DATABASE") from None
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"the database URL's port {port} is out of range",
                          "Use a port from 1 to 65535, e.g. 3306")
    if parsed.get_backend_name() not in ("mysql", "mariadb"):
        raise ConfigError(f"the database URL is for '{parsed.get_backend_name()}', not MySQL or MariaDB",
                          "Use a mysql+pymysql:// URL")
    if not parsed.username:
        raise ConfigError("the database URL has no user name",
                          "Use the form mysql+pymysql://USER:PASSWORD@HOST:PORT/DATABASE")
    socket = parsed.query.get("unix_socket")
    if isinstance(socket, tuple):
        socket = socket[-1]
    ssl_ca = parsed.query.get("ssl_ca")
    if isinstance(ssl_ca, tuple):
        ssl_ca = ssl_ca[-1]
    return ConnectionInfo(user=parsed.username, password=parsed.password or "",
                          host=parsed.host or "127.0.0.1", port=port or 3306,
                          unix_socket=socket or None, database=parsed.database or None, ssl_ca=ssl_ca or None)


# Logins answered 1213 by a Galera node are tried again, this many times in all (about 3 s).
LOGIN_ATTEMPTS = 5


def connect(info: ConnectionInfo, *, database: str | None | bool = True, autocommit: bool = True,
            local_infile: bool = False, read_timeout: int | None = None,
            cursorclass=pymysql.cursors.Cursor) -> pymysql.connections.Connection:
    """Return an open PyMySQL connection; `database=True` uses info.database, False or None none."""
    db = info.database if database is True else (database or None)
    for attempt in range(1, LOGIN_ATTEMPTS + 1):
        try:
            conn = pymysql.connect(
                user=info.user, password=info.password, host=info.host, port=info.port,
                unix_socket=info.unix_socket, database=db, charset="utf8mb4",
                autocommit=autocommit, local_infile=local_infile, connect_timeout=10,
                read_timeout=read_timeout, cursorclass=cursorclass,
                init_command=f"SET SESSION sql_mode = '{SQL_MODE}'",
                ssl_ca=info.ssl_ca, ssl_verify_cert=bool(info.ssl_ca) or None,
                ssl_verify_identity=bool(info.ssl_ca) or None, defer_connect=True,
            )
            conn.connect(_unix_socket(info.unix_socket, conn.host) if info.unix_socket else None)
            break
        except pymysql.err.OperationalError as exc:
            # A Galera node can answer a brand-new session's first statement with 1213 while the
            # cluster changes (a node killed or cut off) or after a brute-force abort meant for the
            # thread's previous session: nothing was done yet, so logging in again is safe.
            if exc.args and exc.args[0] == errcodes.DEADLOCK and attempt < LOGIN_ATTEMPTS:
                time.sleep(0.1 * 2 ** attempt)
                continue
            raise connection_error(exc, info, db) from None
        except pymysql.err.InternalError as exc:
            raise connection_error(exc, info, db) from None
    return conn


def socket_accepts(path: str | Path) -> bool:
    """True when a server accepts connections on the Unix socket `path` (a crashed or killed
    server leaves its socket file behind, with nobody listening)."""
    try:
        _unix_socket(str(path), "localhost", timeout=2).close()
    except pymysql.err.OperationalError:
        return False
    return True


def _unix_socket(path: str, host: str, timeout: float = 10) -> socket.socket:
    """A stream socket connected to the server's Unix socket `path`, for PyMySQL to log in over.

    Made here, not by PyMySQL: when the connect fails (no server, or the socket file a killed
    one left behind), PyMySQL's connect() leaves the socket it made unclosed, held by the
    error's traceback until the garbage collector finds it. This one is closed at once, and
    the error is the one PyMySQL raises (2003, a server that cannot be reached).
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except OSError as exc:
        sock.close()
        raise pymysql.err.OperationalError(errcodes.CANT_CONNECT, f"Can't connect to MySQL server on {host!r} ({exc})") from None
    return sock


def connection_error(exc: pymysql.err.MySQLError, info: ConnectionInfo, database: str | None) -> ConnectionFailed:
    """Turn a failed login into an error that says how to fix it."""
    code = exc.args[0] if exc.args else 0
    if code in errcodes.CONNECT_FAILURES or code == 0:
        return ConnectionFailed(f"cannot reach the server at {info.where}",
                                "Start the embedded server with `hms server start`, "
                                "or point --url / HMS_DATABASE_URL at a running server")
    if code == errcodes.ACCESS_DENIED:
        return ConnectionFailed(f"the server at {info.where} refused the login for '{info.user}'",
                                "Check the user name and password in --url / HMS_DATABASE_URL")
    if code == errcodes.UNKNOWN_DATABASE:
        return ConnectionFailed(f"database '{database}' does not exist on {info.where}",
                                "Create it with `hms db migrate`")
    if code == errcodes.DB_ACCESS_DENIED:
        return ConnectionFailed(f"'{info.user}' may not use database '{database}' on {info.where}",
                                "Grant the account access, or use another account in --url")
    if code in (errcodes.ACCOUNT_LOCKED, errcodes.MARIADB_ACCOUNT_LOCKED):
        return ConnectionFailed(f"account '{info.user}' is locked", "Unlock it with `hms users unlock`")
    return ConnectionFailed(f"cannot log in to {info.where}: {server_message(exc)}",
                            "Check --url / HMS_DATABASE_URL and that the server is running")


def server_message(exc: BaseException) -> str:
    """Return the server's own message for a PyMySQL error, without the tuple noise."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[1], str):
        return f"{args[1]} (error {args[0]})"
    return str(exc)


def error_code(exc: BaseException) -> int:
    """Return the MySQL error number of a PyMySQL error, or 0."""
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else 0


def database_error(exc: pymysql.err.MySQLError, doing: str, fix: str = "") -> DatabaseError:
    """Wrap a refused statement, keeping the server's message."""
    return DatabaseError(f"{doing} failed: {server_message(exc)}", fix)


@contextlib.contextmanager
def session(info: ConnectionInfo, **options) -> Iterator[pymysql.connections.Connection]:
    """Yield an open connection (options as for `connect`); it is closed however the block ends."""
    conn = connect(info, **options)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def transaction(conn) -> Iterator[pymysql.connections.Connection]:
    """Run the block in one transaction on `conn`: commit when it ends, roll back when it raises."""
    conn.begin()
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
