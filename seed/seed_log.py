"""Whether a load goes to the binary log, and the hms_seed_log row that says so.

The bulk load is not written to the binary log by default: the dataset is
reproducible from --seed and --scale, and its rows would be gigabytes of row events
(measured in benchmarks/RESULTS.md) that every replica would have to apply and every
point-in-time recovery would have to keep. So the loader sessions SET sql_log_bin = 0,
and the base of every later recovery is a backup taken after the load.

That is refused while replicas are attached: they would silently lack the data.
`--log-bin` writes the load to the binary log instead (then replicas get it).

Every load records one row in hms_seed_log (sql/schema/V202__hms_seed_log.sql) from
an ordinary, logged session: started with the GTID position before the first
unlogged write, finished with the position after the last, so a point-in-time
recovery can refuse to roll forward across an unlogged load.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymysql

from hms import dialect as dialects
from hms.connection import server_message
from hms.errors import DatabaseError

from .generate import Plan

START = ("INSERT INTO hms_seed_log (started_at, seed, scale, as_of, logged, gtid_before) "
         "VALUES (UTC_TIMESTAMP(6), %s, %s, %s, %s, %s)")
UNFINISHED = ("SELECT id, logged FROM hms_seed_log WHERE finished_at IS NULL AND seed = %s AND scale = %s "
              "AND as_of = %s ORDER BY id DESC LIMIT 1")
# A resumed load is logged only if every run of it was.
CONTINUE = "UPDATE hms_seed_log SET logged = logged AND %s WHERE id = %s"
FINISH = ("UPDATE hms_seed_log SET finished_at = UTC_TIMESTAMP(6), row_count = %s, gtid_after = %s "
          "WHERE id = %s")


@dataclass(frozen=True)
class Logging:
    """How one load meets the binary log."""

    binlog_on: bool       # the server writes a binary log at all
    logged: bool          # the load's rows go into it

    @property
    def unlogged(self) -> bool:
        """True when the loader sessions must turn the binary log off for themselves."""
        return self.binlog_on and not self.logged


def decide(conn, log_bin: bool) -> Logging:
    """How this load is logged: `log_bin` asks for a logged load; an unlogged one needs no replicas.

    Raises DatabaseError when replicas are attached and the load would not reach them.
    """
    with conn.cursor() as cur:
        cur.execute("SELECT @@GLOBAL.log_bin")
        binlog_on = bool(int(cur.fetchone()[0]))
    if not binlog_on:
        return Logging(binlog_on=False, logged=False)
    if log_bin:
        return Logging(binlog_on=True, logged=True)
    replicas = attached_replicas(conn)
    if replicas:
        raise DatabaseError(f"{len(replicas)} replica(s) are attached ({', '.join(replicas[:3])}) and the load "
                            "is not written to the binary log by default, so they would lack its rows",
                            "Add --log-bin to write the load to the binary log (replicas then apply it), "
                            "or detach the replicas and seed them from a backup taken afterwards")
    return Logging(binlog_on=True, logged=False)


def attached_replicas(conn) -> list[str]:
    """The replicas registered with this server, as host:port (server id when no host is reported)."""
    statement = dialects.for_connection(conn).replica_hosts_sql()
    try:
        with conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute(statement)
            rows = cur.fetchall()
    except pymysql.err.MySQLError as exc:
        raise DatabaseError(f"cannot tell whether replicas are attached ({statement} was refused: "
                            f"{server_message(exc)})",
                            "Seed as an administrative account, or add --log-bin to write the load "
                            "to the binary log") from None
    found = []
    for row in rows:
        host = row.get("Host") or row.get("Replica_host") or ""
        port = row.get("Port") or row.get("Replica_port") or ""
        ident = row.get("Server_id") or row.get("Server_Id") or ""
        found.append(f"{host}:{port}" if host else f"server id {ident}")
    return found


def gtid_position(conn) -> str:
    """The GTID position the binary log has reached ('' when it has none)."""
    with conn.cursor() as cur:
        cur.execute(dialects.for_connection(conn).gtid_position_sql())
        value = cur.fetchone()[0]
    return value or ""


def begin(conn, plan: Plan, logging: Logging, resume: bool) -> int:
    """Record the load's start (or, resuming, find its unfinished row); return the row's id.

    `conn` is an ordinary autocommit session, so the row itself is logged.
    """
    with conn.cursor() as cur:
        if resume:
            cur.execute(UNFINISHED, (plan.seed, plan.scale, plan.as_of))
            found = cur.fetchone()
            if found:
                cur.execute(CONTINUE, (logging.logged, found[0]))
                return found[0]
        cur.execute(START, (plan.seed, plan.scale, plan.as_of, logging.logged, gtid_position(conn)))
        return cur.lastrowid


def unfinished(conn, plan: Plan) -> int | None:
    """The id of an unfinished row of this plan (a load interrupted after its last chunk), or None."""
    with conn.cursor() as cur:
        cur.execute(UNFINISHED, (plan.seed, plan.scale, plan.as_of))
        found = cur.fetchone()
    return found[0] if found else None


def finish(conn, row_id: int, rows: int) -> None:
    """Record that the load completed with `rows` rows, and the GTID position after it."""
    with conn.cursor() as cur:
        cur.execute(FINISH, (rows, gtid_position(conn), row_id))
