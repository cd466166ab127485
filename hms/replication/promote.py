"""`hms replica promote`: a planned switchover, or a failover when the primary is gone.

Switchover (the primary answers): fence the primary (read_only: no hms account can
write, see role.py), note its last GTID, wait until the replica applied it
(MASTER_GTID_WAIT), detach the replica and make it writable, save the `primary`
record (from here on `hms` reaches the new primary), repoint the other replicas, and
attach the old primary to the new one. Nothing is lost: the old primary took no write
after its last GTID.

Failover (the primary does not answer): ask every running replica what it received
(Gtid_IO_Pos); promote the most advanced once it has applied all it received; fence
the old primary's home (role.cnf: read-only from its next start, until `hms replica
rejoin`); repoint the others; and say what may have been lost.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pymysql

from ..connection import session
from ..errors import ConnectionFailed, HmsError
from . import gtid as gtids
from . import link, role
from .errors import ReplicationError
from .lifecycle import repoint
from .status import login
from .topology import Member, Topology

SWITCHOVER_WAIT_SECONDS = 60
RELAY_APPLY_SECONDS = 300


@dataclass
class Promotion:
    """What a promotion did, for the command to report."""

    new_primary: str
    old_primary: str
    at_gtid: str
    failover: bool
    repointed: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    statement: str = ""


def switchover(topology: Topology, name: str, say=lambda text: None) -> Promotion:
    """Make replica `name` the primary while the current primary still runs; the old one becomes a replica."""
    new, old = _candidate(topology, name), topology.primary_member()
    old_info = _answering(old)
    if old_info is None:
        raise ReplicationError(f"the primary '{old.name}' does not answer",
                               f"If it is gone, promote with `hms replica promote {name} --failover`")
    new_info = _answering(new)
    if new_info is None:
        raise ReplicationError(f"'{name}' is not running", f"Start it with `hms replica start {name}`")
    with session(new_info, database=None) as conn:
        link.wait_running(conn, 5)
    say(f"fencing '{old.name}' (read-only) ...")
    with session(old_info, database=None) as conn, conn.cursor() as cur:
        cur.execute("SET GLOBAL read_only = ON")
        cur.execute("SELECT @@gtid_binlog_pos")
        last = cur.fetchone()[0]
    say(f"waiting until '{name}' applied {last} ...")
    try:
        with session(new_info, database=None) as conn:
            if not link.wait_for(conn, last, SWITCHOVER_WAIT_SECONDS):
                raise ReplicationError(f"'{name}' did not reach the primary's last transaction {last} within "
                                       f"{SWITCHOVER_WAIT_SECONDS} s; the primary is writable again",
                                       "See `hms replica status`, then try again")
            link.detach(conn)
    except BaseException:
        with session(old_info, database=None) as conn, conn.cursor() as cur:
            cur.execute("SET GLOBAL read_only = OFF")
        raise
    _hand_over(topology, new, old)
    role.apply(topology, new)
    topology.save()
    done = Promotion(new_primary=name, old_primary=old.name, at_gtid=last, failover=False)
    _repoint_others(topology, [new.name, old.name], done)
    say(f"attaching '{old.name}' to '{name}' ...")
    role.apply(topology, old)
    with session(old_info, database=None) as conn:
        link.adopt_own_position(conn)
    repoint(topology, old)
    with session(old_info, database=None) as conn:
        link.wait_running(conn, SWITCHOVER_WAIT_SECONDS)
    done.repointed.append(old.name)
    done.statement = (f"planned switchover: '{old.name}' took no write after {last}, which '{name}' applied "
                      "before it became writable: nothing was lost")
    return done


def failover(topology: Topology, name: str | None, say=lambda text: None) -> Promotion:
    """Promote the most advanced replica (or `name`, if none is ahead of it) when the primary is gone."""
    old = topology.primary_member()
    if _answering(old) is not None:
        raise ReplicationError(f"the primary '{old.name}' still answers, so this is no failover",
                               f"Use a planned switchover: `hms replica promote {name or 'NAME'}` (without --failover)")
    semi = topology.semi_sync()
    positions, unreachable = _received_positions(topology)
    if not positions:
        raise ReplicationError("no replica answers, so there is none to promote",
                               "Start one with `hms replica start NAME`")
    best = max(positions, key=lambda n: gtids.order_key(positions[n][0]))
    chosen = name or best
    if chosen not in positions:
        _candidate(topology, chosen)
        raise ReplicationError(f"'{chosen}' does not answer", f"Start it, or promote '{best}'")
    missing = gtids.behind(positions[best][0], positions[chosen][0])
    if missing:
        raise ReplicationError(f"'{chosen}' lacks {missing} transaction(s) that '{best}' received",
                               f"Promote the most advanced replica: `hms replica promote {best} --failover`")
    new = topology.member(chosen)
    received = positions[chosen][0]
    say(f"'{chosen}' applies the {gtids.behind(received, positions[chosen][1])} transaction(s) it received "
        "but had not applied ...")
    with session(login(new), database=None) as conn:
        if not link.wait_for(conn, received, RELAY_APPLY_SECONDS):
            raise ReplicationError(f"'{chosen}' did not apply what it received ({received}) within "
                                   f"{RELAY_APPLY_SECONDS} s", "See `hms replica status`, then try again")
        link.detach(conn)
        with conn.cursor() as cur:
            cur.execute("SELECT @@gtid_slave_pos")
            at = cur.fetchone()[0]
    _hand_over(topology, new, old)
    old.fenced = True
    topology.failover = {"from": old.name, "to": chosen, "at_gtid": at,
                         "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "semi_sync": semi}
    role.apply(topology, new)
    role.write(topology, old)        # the old primary's home: read-only from its next start
    topology.save()
    done = Promotion(new_primary=chosen, old_primary=old.name, at_gtid=at, failover=True,
                     unreachable=unreachable)
    _repoint_others(topology, [new.name, old.name], done)
    done.statement = loss_statement(old.name, chosen, at, semi, unreachable)
    return done


def loss_statement(old: str, new: str, at: str, semi: bool, unreachable: list[str]) -> str:
    """What a failover may have lost, in plain words."""
    if semi:
        text = (f"semi-synchronous replication: every transaction '{old}' acknowledged to a client had reached a "
                f"replica first, and '{new}' holds everything any replica received ({at}), so no acknowledged "
                "transaction is lost (unless the primary had fallen back to asynchronous replication after "
                "10 s without an acknowledgement: its error.log then says so)")
    else:
        text = (f"asynchronous replication: '{old}' may have committed transactions after {at} that no replica "
                f"received; they are not on '{new}'. They stay in '{old}''s binary log: `hms replica rejoin {old}` "
                "counts them when it is back")
    if unreachable:
        text += f". Not asked (not answering): {', '.join(unreachable)}"
    return text


def _candidate(topology: Topology, name: str) -> Member:
    member = topology.member(name)
    if name == topology.primary:
        raise ReplicationError(f"'{name}' is already the primary", "See `hms replica list`")
    if member.fenced:
        raise ReplicationError(f"'{name}' is a fenced old primary",
                               f"Attach it first with `hms replica rejoin {name}`")
    return member


def _answering(member: Member):
    info = login(member)
    if info is None:
        return None
    try:
        with session(info, database=None):
            return info
    except (ConnectionFailed, pymysql.err.MySQLError, OSError):
        return None


def _received_positions(topology: Topology) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """{replica: (GTID received, GTID applied)} of every answering replica, and those that did not answer."""
    found, unreachable = {}, []
    for member in topology.replicas():
        if member.fenced:
            continue
        info = _answering(member)
        if info is None:
            unreachable.append(member.name)
            continue
        with session(info, database=None) as conn:
            received, applied = link.received_and_applied(conn)
        # The received position covers what was applied; a replica that never received keeps its applied one.
        found[member.name] = (received if gtids.reached(received, applied) else applied, applied)
    return found, unreachable


def _hand_over(topology: Topology, new: Member, old: Member) -> None:
    """Record `new` as the primary; `old` takes its place as a replica (and its semi-sync setting)."""
    topology.primary = new.name
    old.semi_sync, new.semi_sync = new.semi_sync, False
    new.fenced = False


def _repoint_others(topology: Topology, skip: list[str], done: Promotion) -> None:
    for member in topology.replicas():
        if member.name in skip or member.fenced:
            continue
        try:
            role.apply(topology, member)
            repoint(topology, member)
            done.repointed.append(member.name)
        except (HmsError, pymysql.err.MySQLError, OSError):
            # A stopped replica is repointed by `hms replica start`.
            with contextlib.suppress(OSError):
                role.write(topology, member)
            done.unreachable.append(member.name)
