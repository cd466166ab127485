"""How each member of the topology is doing: running, lag, thread states, last error.

Lag is given two ways: seconds (the replica's Seconds_Behind_Master: how old the
event it is applying is) and transactions (the primary's gtid_binlog_pos minus the
replica's gtid_slave_pos, domain by domain). A replica is broken when its server does
not answer, or either replication thread is not running ("Connecting" included:
it cannot reach the primary), or it is a fenced old primary waiting to rejoin.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymysql

from ..connection import ConnectionInfo, session
from ..errors import ConnectionFailed, ServerError
from . import gtid as gtids
from . import priority as priorities
from .link import one_line
from .topology import Member, Topology

PRIMARY, REPLICA, FENCED = "primary", "replica", "fenced"


@dataclass
class MemberState:
    """One member as `hms replica list/status` shows it."""

    name: str
    role: str
    port: int | None
    running: bool
    semi_sync: bool = False
    read_only: bool | None = None
    gtid: str | None = None              # executed: gtid_binlog_pos on a primary, gtid_slave_pos on a replica
    received: str | None = None          # replica: Gtid_IO_Pos
    io_state: str | None = None          # Yes / No / Connecting
    sql_state: str | None = None
    lag_seconds: int | None = None
    lag_transactions: int | None = None
    last_error: str | None = None
    semi_sync_active: bool | None = None  # primary: waiting for acknowledgements right now
    semi_sync_clients: int | None = None
    priority: priorities.Priority | None = None   # its server's nice and I/O priority (priority.py)

    @property
    def io_running(self) -> bool:
        return self.io_state == "Yes"

    @property
    def sql_running(self) -> bool:
        return self.sql_state == "Yes"

    @property
    def broken(self) -> bool:
        if self.role == PRIMARY:
            return not self.running
        return not (self.running and self.io_running and self.sql_running) or self.role == FENCED

    def problem(self) -> str | None:
        """What is wrong, in one line with how to fix it; None when healthy."""
        if self.role == FENCED:
            return (f"old primary, fenced read-only by a failover{'' if self.running else ', not running'}: "
                    f"attach it with `hms replica rejoin {self.name}`")
        if not self.running:
            fix = ("start it with `hms server start`" if self.role == PRIMARY and self.name == "main"
                   else f"start it with `hms replica start {self.name}`")
            if self.role == PRIMARY:
                fix += ", or promote a replica with `hms replica promote --failover`"
            return f"not running: {fix}"
        if self.role == PRIMARY:
            return None
        if self.sql_state != "Yes" and self.last_error:
            return (f"SQL thread stopped: {self.last_error}: its data no longer matches the primary; "
                    f"rebuild it with `hms replica rejoin {self.name} --rebuild`")
        if self.io_state != "Yes":
            cause = f": {self.last_error}" if self.last_error else ""
            return (f"I/O thread {(self.io_state or 'not started').lower()}{cause}: check the primary runs "
                    "(`hms replica list`)")
        if self.sql_state != "Yes":
            return f"SQL thread stopped: start it with `hms replica start {self.name}`"
        return None

    def as_dict(self) -> dict:
        """The contract's keys, then the rest."""
        return {"name": self.name, "port": self.port, "running": self.running, "lag_seconds": self.lag_seconds,
                "io_running": self.io_running, "sql_running": self.sql_running, "last_error": self.last_error,
                "gtid": self.gtid, "role": self.role, "lag_transactions": self.lag_transactions,
                "received_gtid": self.received, "io_state": self.io_state, "sql_state": self.sql_state,
                "semi_sync": self.semi_sync, "read_only": self.read_only, "broken": self.broken,
                "problem": self.problem(), "nice": self.priority.nice if self.priority else None,
                "group_nice": self.priority.group_nice if self.priority else None,
                "clients_idle": self.priority.clients_idle if self.priority else None,
                "io_priority": (f"{self.priority.io_class}/{self.priority.io_level}"
                                if self.priority and self.priority.io_class else None)}


def login(member: Member) -> ConnectionInfo | None:
    """The member's administrative login (loopback TCP), or None when its home holds none."""
    try:
        return member.login()
    except ServerError:
        return None


def role_of(topology: Topology, member: Member) -> str:
    if member.name == topology.primary:
        return PRIMARY
    return FENCED if member.fenced else REPLICA


def primary_state(topology: Topology) -> MemberState:
    """The primary: running, its GTID position and semi-sync state."""
    member = topology.primary_member()
    info = login(member)
    state = MemberState(name=member.name, role=PRIMARY, port=info.port if info else None, running=False)
    if info is None:
        return state
    try:
        with session(info, database=None) as conn, conn.cursor() as cur:
            cur.execute("SELECT @@gtid_current_pos, @@read_only, @@rpl_semi_sync_master_enabled")
            state.gtid, read_only, semi = cur.fetchone()
            state.read_only, state.semi_sync = bool(read_only), bool(semi)
            cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN "
                        "('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_clients')")
            found = dict(cur.fetchall())
            state.semi_sync_active = found.get("Rpl_semi_sync_master_status") == "ON"
            state.semi_sync_clients = int(found.get("Rpl_semi_sync_master_clients") or 0)
            state.running = True
    except (ConnectionFailed, pymysql.err.MySQLError, OSError):
        pass
    state.priority = _priority(member) if state.running else None
    return state


def _priority(member: Member) -> priorities.Priority | None:
    pid = member.server().pid()
    return priorities.of(pid) if pid else None


def replica_state(topology: Topology, member: Member, primary_gtid: str | None) -> MemberState:
    """One replica's threads, lag and last error, against the primary's position (None: unknown)."""
    info = login(member)
    state = MemberState(name=member.name, role=role_of(topology, member), port=info.port if info else None,
                        running=False, semi_sync=member.semi_sync)
    if info is None:
        return state
    try:
        with session(info, database=None) as conn:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute("SHOW SLAVE STATUS")
                row = cur.fetchone() or {}
            with conn.cursor() as cur:
                cur.execute("SELECT @@gtid_slave_pos, @@gtid_binlog_pos, @@read_only")
                slave_pos, binlog_pos, read_only = cur.fetchone()
            priorities.own_threads_out(conn)   # after a START SLAVE typed by hand (priority.py)
    except (ConnectionFailed, pymysql.err.MySQLError, OSError):
        return state
    state.running, state.read_only = True, bool(read_only)
    state.priority = _priority(member)
    state.gtid = (slave_pos if row else binlog_pos) or ""
    state.received = row.get("Gtid_IO_Pos") or None
    state.io_state = row.get("Slave_IO_Running") or "No"
    state.sql_state = row.get("Slave_SQL_Running") or "No"
    state.lag_seconds = row.get("Seconds_Behind_Master")
    if primary_gtid is not None:
        state.lag_transactions = gtids.behind(primary_gtid, state.gtid)
    error = row.get("Last_SQL_Error") or row.get("Last_IO_Error")
    if error:
        errno = row.get("Last_SQL_Errno") if row.get("Last_SQL_Error") else row.get("Last_IO_Errno")
        state.last_error = one_line(f"error {errno}: {error}")
    elif not row:
        state.last_error = "not attached to any primary"
    return state


def all_states(topology: Topology, names: list[str] | None = None) -> tuple[MemberState, list[MemberState]]:
    """(the primary's state, the states of the named replicas, or of every replica)."""
    primary = primary_state(topology)
    members = [topology.member(n) for n in names] if names else topology.replicas()
    reference = primary.gtid if primary.running else None
    return primary, [primary if m.name == topology.primary else replica_state(topology, m, reference)
                     for m in members]
