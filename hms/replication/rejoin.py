"""`hms replica rejoin`: attach a member again to the current primary, or rebuild it from a fresh copy.

An old primary fenced by a failover may hold transactions no replica received (in
asynchronous mode). Those are in its binary log after the GTID the new primary took
over at; a member holding any cannot simply follow the new primary (its data would
differ). It is then rebuilt: its data directory and binary log are moved aside (kept,
for whoever wants to recover those transactions) and it is copied afresh from the
primary, as `hms replica add` does. A replica whose SQL thread stopped on an error is
rebuilt the same way.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone

import pymysql

from .. import tls
from ..connection import session
from ..errors import HmsError
from . import account, add, gtid as gtids, link, provision, role
from .errors import ReplicationError
from .lifecycle import repoint
from .topology import Member, Topology

ATTACH_SECONDS = 60


def rejoin(topology: Topology, name: str, rebuild: bool = False, say=lambda text: None) -> str:
    """Attach member `name` to the current primary (rebuilding it when asked); return what was done."""
    member = topology.member(name)
    if name == topology.primary:
        raise ReplicationError(f"'{name}' is the primary", "Rejoin a replica or an old primary")
    primary = topology.primary_member()
    primary_info = add.primary_login(primary)
    if rebuild:
        kept = _rebuild(topology, member, say)
        return f"'{name}' was rebuilt from '{primary.name}' and replicates from it; its old files are in {kept}"
    if not member.server().status().running:
        say(f"starting '{name}' (read-only) ...")
        member.server().start()
    info = member.login()
    with session(info, database=None) as conn:
        if member.fenced:
            _check_not_ahead(topology, member, conn)
            link.adopt_own_position(conn)
    member.fenced = False
    role.apply(topology, member)
    repoint(topology, member)
    with session(info, database=None) as conn:
        link.wait_running(conn, ATTACH_SECONDS)
    add.catch_up(primary_info, member)
    _settle_primary(topology, member, primary_info)
    topology.save()
    return f"'{name}' replicates from '{primary.name}'"


def _check_not_ahead(topology: Topology, member: Member, conn) -> None:
    """Refuse an old primary holding transactions the new primary never received."""
    taken_over = (topology.failover or {}).get("at_gtid")
    if taken_over is None:
        return
    with conn.cursor() as cur:
        cur.execute("SELECT @@gtid_binlog_pos")
        own = cur.fetchone()[0]
    extra = gtids.behind(own, taken_over)
    if extra:
        raise ReplicationError(
            f"'{member.name}' holds {extra} transaction(s) after {taken_over} (up to {own}) that no replica "
            f"received before the failover: they are not on the new primary, and are kept in "
            f"{member.home / 'binlog'}",
            f"Rebuild it from the primary with `hms replica rejoin {member.name} --rebuild` (its data directory "
            "and binary log are moved aside, not deleted; `mariadb-binlog` reads the lost transactions there)")


def _rebuild(topology: Topology, member: Member, say) -> str:
    """Move the member's data and binary log aside, copy the primary afresh, attach; return where the old files are."""
    primary = topology.primary_member()
    primary_info = add.primary_login(primary)
    server = member.server()
    port = server.connection_info().port
    say(f"stopping '{member.name}' ...")
    server.stop()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = member.home / f"before-rebuild-{stamp}"
    aside.mkdir(mode=0o700)
    for name in ("data", "binlog"):
        if (member.home / name).exists():
            (member.home / name).rename(aside / name)
    try:
        say(f"copying '{primary.name}' with mariadb-backup ...")
        copied_at = provision.copy_server(primary.server(), member.home / "data")
    except BaseException:
        _put_back(member, aside)
        raise
    password = account.read_password(primary.home)
    account.write_password(member.home, password)
    member.fenced = False
    role.write(topology, member)
    tls.adopt_ca(primary.home, member.home)
    say(f"starting '{member.name}' on port {port} ...")
    server.start(port=port)
    with session(member.login(), database=None) as conn:
        role.apply(topology, member)
        link.attach(conn, primary.server().connection_info().port, password, gtid=copied_at)
        link.wait_running(conn, ATTACH_SECONDS)
    add.catch_up(primary_info, member)
    _settle_primary(topology, member, primary_info)
    topology.save()
    return str(aside)


def _put_back(member: Member, aside) -> None:
    import shutil

    for name in ("data", "binlog"):
        if (aside / name).exists():
            shutil.rmtree(member.home / name, ignore_errors=True)
            (aside / name).rename(member.home / name)
    with contextlib.suppress(OSError):
        aside.rmdir()


def _settle_primary(topology: Topology, member: Member, primary_info) -> None:
    """The primary's semi-sync follows whether any replica acknowledges; a semi-sync member is counted."""
    with contextlib.suppress(HmsError, pymysql.err.MySQLError, OSError):
        role.apply(topology, topology.primary_member())
    if member.semi_sync:
        add.join_semi_sync(primary_info, member)
