"""`hms replica check`: every table of the primary and a replica compared at the same GTID.

Why not pt-table-checksum: it works by replicating its checksum queries as
statements (it switches its session to binlog_format=STATEMENT, which needs SUPER,
and relies on the replica re-running them), writes its results into a `percona`
database on the primary (new writes to the primary, replicated everywhere), and has
to be told how to find replicas listening on loopback ports. Here nothing is written
anywhere, and both sides are read at one exact position:

1. the replica's SQL thread is stopped (its I/O thread keeps receiving, so a
   semi-sync primary keeps its acknowledgements);
2. the primary opens a consistent snapshot and reports the binary-log coordinates it
   matches (Binlog_snapshot_file / _position; BINLOG_GTID_POS gives the GTID);
3. the replica applies exactly up to there (START SLAVE SQL_THREAD UNTIL
   MASTER_LOG_FILE/POS), opens its own snapshot, and resumes replicating;
4. both snapshots are read: rows and an order-free content checksum per table
   (hms/backup/contents.py: pt-table-checksum's CRC32/BIT_XOR), routines, triggers,
   views. The replica pauses only for as long as step 3 takes.

Every schema but the server's own (mysql, sys, information_schema,
performance_schema) is compared.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import pymysql

from .. import dialect as dialects
from ..backup import contents
from ..connection import session
from ..errors import HmsError
from ..identifiers import DATABASE_NAME
from . import gtid as gtids
from . import link
from .errors import ReplicationError
from .status import login
from .topology import Member, Topology

SYSTEM_SCHEMAS = ("mysql", "sys", "information_schema", "performance_schema")
USER_SCHEMAS = ("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN "
                "(%s, %s, %s, %s) ORDER BY SCHEMA_NAME")
ALIGN_SECONDS = 300


@dataclass
class CheckResult:
    """How one replica compared with the primary."""

    replica: str
    gtid: str = ""
    tables: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.differences


def check_replica(topology: Topology, member: Member) -> CheckResult:
    """Compare `member` with the primary at one GTID; the result lists every table that differs."""
    if member.name == topology.primary:
        raise ReplicationError(f"'{member.name}' is the primary", "Name a replica")
    primary_info, replica_info = login(topology.primary_member()), login(member)
    result = CheckResult(replica=member.name)
    with session(primary_info, database=None, read_timeout=None) as primary, \
            session(replica_info, database=None, read_timeout=None) as replica, \
            session(replica_info, database=None) as control:
        _stop_applier(control, member.name)
        try:
            result.gtid, binlog_file, binlog_pos = _primary_snapshot(primary)
            _apply_until(control, member.name, result.gtid, binlog_file, binlog_pos)
            _snapshot(replica)
        finally:
            _resume(control)
        schemas = sorted(set(_schemas(primary)) | set(_schemas(replica)))
        for schema in schemas:
            if not DATABASE_NAME.fullmatch(schema):
                result.differences.append(f"schema {schema}: not compared (a name hms does not quote)")
                continue
            have = _describe(primary, schema)
            want = _describe(replica, schema)
            result.tables += len(have["tables"]) if have else len(want["tables"]) if want else 0
            if have is None or want is None:
                where = "the replica" if want is None else "the primary"
                result.differences.append(f"schema {schema}: missing from {where}")
                continue
            result.differences += [f"{schema}: {line}" for line in
                                   contents.compare("the primary", have, member.name, want)]
        primary.rollback()
        replica.rollback()
    return result


def _stop_applier(control, name: str) -> None:
    with control.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW SLAVE STATUS")
        row = cur.fetchone() or {}
        if row.get("Slave_SQL_Running") != "Yes":
            error = row.get("Last_SQL_Error") or "it is not replicating"
            raise ReplicationError(f"'{name}' is not applying the primary's changes ({link.one_line(error)})",
                                   f"See `hms replica status {name}`; a broken replica differs by definition")
        cur.execute("STOP SLAVE SQL_THREAD")


def _primary_snapshot(conn) -> tuple[str, str, int]:
    """Open the primary's snapshot; return (its GTID, binary-log file, position)."""
    with conn.cursor() as cur:
        cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        coordinates = dialects.binlog_coordinates(dialects.MARIADB, cur)
        if coordinates is None:
            raise ReplicationError("the primary runs without a binary log", "Restart it with `hms server start`")
        binlog_file, binlog_pos, _ = coordinates
        # The GTID state at the snapshot's own position (@@gtid_binlog_pos may be later already).
        cur.execute("SELECT BINLOG_GTID_POS(%s, %s)", (binlog_file, binlog_pos))
        gtid = cur.fetchone()[0] or ""
    return gtid, binlog_file, binlog_pos


def _apply_until(control, name: str, gtid: str, binlog_file: str, binlog_pos: int) -> None:
    """Let the replica apply exactly up to the primary's snapshot, and no further.

    The UNTIL condition is checked before each event: once the replica has applied `gtid`
    it applies nothing more, whether its SQL thread has stopped yet (it stops only when a
    later event arrives) or not.
    """
    with control.cursor() as cur:
        cur.execute("SELECT @@gtid_slave_pos")
        if not _same(cur.fetchone()[0], gtid):
            link.start(control, "START SLAVE SQL_THREAD UNTIL MASTER_LOG_FILE = %s, MASTER_LOG_POS = %s",
                       (binlog_file, binlog_pos))
        deadline = time.monotonic() + ALIGN_SECONDS
        while True:
            cur.execute("SELECT @@gtid_slave_pos")
            at = cur.fetchone()[0]
            if _same(at, gtid):
                return
            cur.execute("SHOW SLAVE STATUS")
            columns = [d[0] for d in cur.description]
            if dict(zip(columns, cur.fetchone()))["Slave_SQL_Running"] != "Yes":
                raise ReplicationError(f"'{name}' stopped at {at}, not at the primary's snapshot {gtid}",
                                       f"See `hms replica status {name}`, then run the check again")
            if time.monotonic() > deadline:
                raise ReplicationError(f"'{name}' did not reach the primary's position {gtid} within "
                                       f"{ALIGN_SECONDS} s", "Check its lag with `hms replica status`")
            time.sleep(0.05)


def _same(at: str, gtid: str) -> bool:
    """True when the replica's position `at` is the primary's `gtid`, domain by domain."""
    wanted = gtids.sequences(gtid)
    return {d: s for d, s in gtids.sequences(at).items() if d in wanted} == wanted


def _resume(control) -> None:
    """Replicate normally again (a pending UNTIL is cleared by stopping the thread first)."""
    with contextlib.suppress(pymysql.err.MySQLError), control.cursor() as cur:
        cur.execute("STOP SLAVE SQL_THREAD")
    with contextlib.suppress(pymysql.err.MySQLError):
        link.start(control, "START SLAVE SQL_THREAD")


def _snapshot(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")


def _schemas(conn) -> list[str]:
    with conn.cursor() as cur:
        cur.execute(USER_SCHEMAS, SYSTEM_SCHEMAS)
        return [row[0] for row in cur.fetchall()]


def _describe(conn, schema: str) -> dict | None:
    if schema not in _schemas(conn):
        return None
    try:
        return contents.describe(conn, schema)
    except (HmsError, pymysql.err.MySQLError) as exc:
        raise ReplicationError(f"reading schema {schema} failed: {exc}", "Check the server's error.log") from None
