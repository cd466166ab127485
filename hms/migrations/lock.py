"""The migration lock: one `hms db migrate` at a time per database, on one server or a cluster.

On a single server it is an advisory lock, GET_LOCK: it dies with the session, so a
killed run never leaves it behind.

On a Galera cluster GET_LOCK is only a lock on the node that took it: a second run on
another node would get it too. There the lock is a row of `hms_schema_lock` in the
database, written in autocommit: the row replicates to every node, so a run on any node
finds it (duplicate key), and two runs racing on two nodes are decided by certification
(the loser's INSERT fails with a deadlock, 1213). A row left by a run that died is taken
over when its holder is provably gone: its session no longer exists on its node (checked
when the holder was on this node), its node is no longer a member of the cluster (a
node's Galera UUID changes at every start), or it has not renewed the row for
LEASE_SECONDS (the runner renews it before every file).
"""

from __future__ import annotations

from dataclasses import dataclass

import pymysql

from .. import dialect as dialects
from .. import errcodes
from ..connection import error_code
from ..errors import MigrationError
from ..identifiers import quote_identifier

LOCK_TABLE = "hms_schema_lock"
LEASE_SECONDS = 30 * 60

CREATE_LOCK_TABLE = f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{LOCK_TABLE} (
    lock_name     VARCHAR(64)     NOT NULL,
    holder        VARCHAR(300)    NOT NULL,
    node          VARCHAR(255)    NOT NULL,
    connection_id BIGINT UNSIGNED NOT NULL,
    acquired_at   DATETIME(6)     NOT NULL,
    renewed_at    DATETIME(6)     NOT NULL,
    PRIMARY KEY (lock_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
"""
# A node is known by its Galera (gcomm) UUID: new at each start, listed in the cluster's
# current view (mysql.wsrep_cluster_members) while it is a member.
THIS_NODE = "SHOW GLOBAL STATUS LIKE 'wsrep_gcomm_uuid'"
WHO = "SELECT @@wsrep_node_name, CONNECTION_ID(), CURRENT_USER()"
TAKE = (f"INSERT INTO {{schema}}.{LOCK_TABLE} (lock_name, holder, node, connection_id, acquired_at, renewed_at) "
        "VALUES (%s, %s, %s, %s, NOW(6), NOW(6))")
READ = (f"SELECT holder, node, connection_id, TIMESTAMPDIFF(SECOND, renewed_at, NOW(6)) "
        f"FROM {{schema}}.{LOCK_TABLE} WHERE lock_name = %s")
TAKE_OVER = (f"UPDATE {{schema}}.{LOCK_TABLE} SET holder = %s, node = %s, connection_id = %s, "
             "acquired_at = NOW(6), renewed_at = NOW(6) WHERE lock_name = %s AND node = %s AND connection_id = %s")
RENEW = f"UPDATE {{schema}}.{LOCK_TABLE} SET renewed_at = NOW(6) WHERE lock_name = %s AND node = %s AND connection_id = %s"
RELEASE = f"DELETE FROM {{schema}}.{LOCK_TABLE} WHERE lock_name = %s AND node = %s AND connection_id = %s"
SESSION_EXISTS = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %s"
IS_MEMBER = "SELECT COUNT(*) FROM mysql.wsrep_cluster_members WHERE node_uuid = %s"


@dataclass(frozen=True)
class Held:
    """A lock this session holds: by GET_LOCK (row=False) or by a row of hms_schema_lock."""

    database: str
    name: str
    row: bool
    node: str = ""
    connection_id: int = 0


def acquire(conn, database: str, name: str, wait_seconds: int = 0) -> Held:
    """Take the migration lock of `database`; a MigrationError when another run holds it."""
    if not dialects.wsrep_on(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, %s)", (name, wait_seconds))
            if cur.fetchone()[0] != 1:
                raise _busy(database)
        return Held(database, name, row=False)
    schema = quote_identifier(database)
    with conn.cursor() as cur:
        cur.execute(CREATE_LOCK_TABLE.format(schema=schema))   # DDL: replicated in total order (TOI)
        cur.execute(THIS_NODE)
        node = cur.fetchone()[1]
        cur.execute(WHO)
        node_name, connection_id, user = cur.fetchone()
    holder = f"{user} on {node_name}, session {connection_id}"
    held = Held(database, name, row=True, node=node, connection_id=int(connection_id))
    try:
        with conn.cursor() as cur:
            cur.execute(TAKE.format(schema=schema), (name, holder, node, connection_id))
        return held
    except pymysql.err.MySQLError as exc:
        if error_code(exc) == errcodes.DEADLOCK:
            raise _busy(database) from None    # a run on another node took it at the same moment
        if error_code(exc) != errcodes.DUPLICATE_KEY:
            raise
    with conn.cursor() as cur:
        cur.execute(READ.format(schema=schema), (name,))
        row = cur.fetchone()
    if row is None:
        return acquire(conn, database, name, wait_seconds)   # released between our INSERT and the read
    old_holder, old_node, old_connection, idle = row
    if not _holder_gone(conn, old_node, int(old_connection), idle, node):
        raise _busy(database, old_holder)
    try:
        with conn.cursor() as cur:
            cur.execute(TAKE_OVER.format(schema=schema), (holder, node, connection_id, name, old_node, old_connection))
            taken = cur.rowcount == 1
    except pymysql.err.MySQLError as exc:
        if error_code(exc) != errcodes.DEADLOCK:
            raise
        taken = False
    if not taken:
        raise _busy(database)
    return held


def renew(conn, held: Held) -> None:
    """Say the holder is still at work (the lease of a cluster lock row)."""
    if held.row:
        with conn.cursor() as cur:
            cur.execute(RENEW.format(schema=quote_identifier(held.database)),
                        (held.name, held.node, held.connection_id))


def release(conn, held: Held) -> None:
    """Give the lock back; a session that died gives back GET_LOCK by itself."""
    try:
        with conn.cursor() as cur:
            if held.row:
                cur.execute(RELEASE.format(schema=quote_identifier(held.database)),
                            (held.name, held.node, held.connection_id))
            else:
                cur.execute("SELECT RELEASE_LOCK(%s)", (held.name,))
    except pymysql.err.MySQLError:
        pass  # GET_LOCK dies with the session; a row left behind is taken over as stale


def _holder_gone(conn, node: str, connection_id: int, idle_seconds, this_node: str) -> bool:
    """True when the run holding the row can no longer be at work."""
    with conn.cursor() as cur:
        if node == this_node:
            cur.execute(SESSION_EXISTS, (connection_id,))
            return cur.fetchone()[0] == 0
        try:
            cur.execute(IS_MEMBER, (node,))
            if cur.fetchone()[0] == 0:
                return True
        except pymysql.err.MySQLError:
            pass  # the account may not read the view: the lease decides
    return idle_seconds is not None and int(idle_seconds) > LEASE_SECONDS


def _busy(database: str, holder: str | None = None) -> MigrationError:
    by = f" (held by {holder})" if holder else ""
    return MigrationError(f"another migration of '{database}' is running{by}",
                          "Wait for it to finish, then run `hms db migrate` again")
