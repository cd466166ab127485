"""Starting, stopping and removing members: the uniform verbs over every home."""

from __future__ import annotations

import contextlib
import shutil

import pymysql

from ..connection import session
from ..errors import ConnectionFailed, HmsError
from . import account, link, priority, role
from .errors import ReplicationError
from .topology import MAIN, Member, Topology

START_WAIT_SECONDS = 15


def start_member(topology: Topology, member: Member) -> int:
    """Start the member's server and return its port.

    Its role.cnf applies from the first moment (a replica starts read-only). A replica
    that still points at an old primary (it was stopped during a promotion) is pointed
    at the current one. A replica runs at a lower CPU and I/O priority (priority.py).
    """
    member.server().start()
    priority.settle(member.server(),
                    replica=priority.yields(member.name == topology.primary, member.semi_sync))
    if member.name != topology.primary and not member.fenced:
        repoint(topology, member)
        # Give the threads a moment to connect, so what the caller shows next is settled;
        # a replica that cannot replicate (its primary down) is still started.
        with contextlib.suppress(ReplicationError), session(member.login(), database=None) as conn:
            priority.idle_clients(conn, replica=True)   # a replica's clients run on idle CPU
            link.wait_running(conn, START_WAIT_SECONDS)
    return member.server().connection_info().port


def repoint(topology: Topology, member: Member) -> None:
    """Make a running replica replicate from the current primary, unless it already does."""
    primary_port = topology.primary_member().server().connection_info().port
    password = account.read_password(member.home) or account.read_password(topology.primary_member().home)
    if password is None:
        raise ReplicationError(f"no replication password in {account.login_file(member.home)}",
                               f"Rebuild the replica with `hms replica rejoin {member.name} --rebuild`")
    with session(member.login(), database=None) as conn:
        with conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone() or {}
        if row.get("Master_Port") == primary_port and row.get("Master_Host") == account.HOST:
            return
        link.attach(conn, primary_port, password)


def stop_member(member: Member) -> bool:
    """Shut the member's server down cleanly; False when it was not running."""
    return member.server().stop()


def remove_replica(topology: Topology, name: str) -> None:
    """Stop replica `name`, detach it and delete its home; the topology is saved without it."""
    member = topology.member(name)
    if name == topology.primary:
        raise ReplicationError(f"'{name}' is the primary", "Promote another replica first (`hms replica promote`)")
    if member.home == topology.home:
        raise ReplicationError(f"'{name}' is this HMS_HOME's own server and cannot be deleted",
                               "Stop it with `hms server stop`, or rebuild it with `hms replica rejoin main --rebuild`")
    with contextlib.suppress(HmsError, pymysql.err.MySQLError, OSError):
        with session(member.login(), database=None) as conn:
            link.detach(conn)
    member.server().stop()
    del topology.members[name]
    shutil.rmtree(member.home, ignore_errors=True)
    _settle(topology)


def _settle(topology: Topology) -> None:
    """After a replica left: new memory shares and semi-sync setting; no replica left, no topology."""
    primary = topology.primary_member()
    remaining = topology.replicas()
    for member in [primary, *remaining]:
        try:
            role.apply(topology, member)
        except (ConnectionFailed, HmsError, pymysql.err.MySQLError, OSError):
            role.write(topology, member)
    if remaining:
        topology.save()
        return
    # The last replica is gone: no replication account, and the primary is a lone server again.
    with contextlib.suppress(HmsError, pymysql.err.MySQLError, OSError):
        with session(primary.login(), database=None) as conn:
            account.drop(conn)
    account.forget(primary.home)
    if primary.name == MAIN:
        role.remove(primary)
        topology.record.unlink()
    else:
        topology.save()
