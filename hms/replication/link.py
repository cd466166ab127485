"""The replication link of one server: attach it to a primary, wait on it, detach it.

MariaDB statements, run on the replica as its administrative login. MASTER_USE_GTID
= slave_pos: the replica asks the primary for everything after the last GTID it
applied, so it can be pointed at any other member after a promotion. The link is TLS
with the primary's certificate verified (MASTER_SSL_VERIFY_SERVER_CERT): every member of
a topology shares one CA (hms.tls.adopt_ca), so the replica's own @@ssl_ca verifies
whichever member is the primary, and the replication account requires TLS (account.py).
"""

from __future__ import annotations

import time

import pymysql

from ..connection import database_error
from . import account, priority
from .errors import ReplicationError

HEARTBEAT_SECONDS = 1
CONNECT_RETRY_SECONDS = 5
CHANGE_PRIMARY = ("CHANGE MASTER TO MASTER_HOST = %s, MASTER_PORT = %s, MASTER_USER = %s, MASTER_PASSWORD = %s, "
                  "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = %s, MASTER_HEARTBEAT_PERIOD = %s, "
                  "MASTER_SSL = 1, MASTER_SSL_CA = %s, MASTER_SSL_VERIFY_SERVER_CERT = 1")


def attach(conn, primary_port: int, password: str, *, gtid: str | None = None,
           host: str = account.HOST) -> None:
    """Point the replica behind `conn` at the primary on `primary_port` and start replicating.

    `gtid`: the position to start after (a fresh copy's); None keeps gtid_slave_pos.
    """
    try:
        with conn.cursor() as cur:
            cur.execute("STOP SLAVE")
            if gtid is not None:
                cur.execute("SET GLOBAL gtid_slave_pos = %s", (gtid,))
            cur.execute("SELECT @@ssl_ca")
            ca = cur.fetchone()[0]
            if not ca:
                raise ReplicationError("the replica serves no TLS, so it cannot verify its primary",
                                       "Start it with `hms replica start`, which sets up its TLS")
            cur.execute(CHANGE_PRIMARY, (host, int(primary_port), account.USER, password,
                                         CONNECT_RETRY_SECONDS, HEARTBEAT_SECONDS, ca))
            cur.execute("START SLAVE")
    except pymysql.err.MySQLError as exc:
        raise database_error(exc, "attaching the replica to the primary",
                             "See `hms replica status` for the replica's last error") from None
    # The replication threads were born from this session's thread: keep them off idle CPU,
    # and this replica's clients on it (priority.idle_clients).
    priority.idle_clients(conn, replica=True)


def start(conn, statement: str = "START SLAVE", args: tuple = ()) -> None:
    """Run a START SLAVE `statement` on the replica behind `conn`, then keep the threads it
    started off idle CPU: they are born in this session's thread's group, which on a replica
    is the idle one (priority.idle_clients)."""
    with conn.cursor() as cur:
        cur.execute(statement, args)
    priority.own_threads_out(conn)


def adopt_own_position(conn) -> None:
    """Make a server that was a primary start replicating after its own last transaction."""
    with conn.cursor() as cur:
        cur.execute("STOP SLAVE")
        cur.execute("SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos")


def detach(conn) -> None:
    """Stop replicating and forget the primary (RESET SLAVE ALL)."""
    with conn.cursor() as cur:
        cur.execute("STOP SLAVE")
        cur.execute("RESET SLAVE ALL")


def wait_for(conn, gtid: str, timeout: float) -> bool:
    """Wait until the server behind `conn` applied `gtid`; False when `timeout` seconds passed first."""
    if not gtid:
        return True
    with conn.cursor() as cur:
        cur.execute("SELECT MASTER_GTID_WAIT(%s, %s)", (gtid, timeout))
        return cur.fetchone()[0] == 0


def wait_running(conn, timeout: float) -> None:
    """Wait until both replication threads run; ReplicationError with the replica's own error otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        with conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone() or {}
        io, sql = row.get("Slave_IO_Running"), row.get("Slave_SQL_Running")
        if io == "Yes" and sql == "Yes":
            return
        error = row.get("Last_SQL_Error") or row.get("Last_IO_Error")
        if sql == "No" and row.get("Last_SQL_Errno") or time.monotonic() > deadline:
            raise ReplicationError(f"the replica does not replicate (I/O thread {io or 'off'}, SQL thread "
                                   f"{sql or 'off'}){': ' + one_line(error) if error else ''}",
                                   "See `hms replica status`, and the replica's error.log")
        time.sleep(0.2)


def received_and_applied(conn) -> tuple[str, str]:
    """(GTID received from the primary, GTID applied) of the replica behind `conn`."""
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW SLAVE STATUS")
        row = cur.fetchone() or {}
        cur.execute("SELECT @@gtid_slave_pos")
        applied = next(iter(cur.fetchone().values())) or ""
    return row.get("Gtid_IO_Pos") or "", applied


def one_line(text: str | None, limit: int = 240) -> str:
    """A server message on one line, shortened."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
