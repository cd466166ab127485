"""`hms replica add`: a new replica home, copied from the running primary and attached to it.

Steps, each undone if a later one fails (nothing is half-made; the primary keeps
serving throughout):
1. check the primary: running, MariaDB, binary log on;
2. ensure the replication account (REPLICATION SLAVE only, created from a hash);
3. copy the primary with mariadb-backup into $HMS_HOME/replicas/<name>/data (no
   downtime) and prepare it; note the GTID the copy holds;
4. write the replica's client.cnf (the same administrative account: the copy holds the
   primary's accounts), role.cnf (server id, read_only, its memory share) and
   replication.cnf (0600);
5. start it (as the `mysql` system user when run by root), set gtid_slave_pos to the
   copy's GTID and attach it with CHANGE MASTER TO ... MASTER_USE_GTID = slave_pos;
6. wait until it has caught up with the primary; then turn on semi-sync on the primary
   when asked, and give every replica its new memory share.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from dataclasses import dataclass

import pymysql

from .. import dialect as dialects
from .. import tls
from ..backup import physical_keys
from ..connection import session
from ..errors import ConnectionFailed, HmsError
from ..optionfiles import write_option_file
from ..server import protection
from ..server.config import free_port
from . import account, link, provision, role
from .errors import ReplicationError
from .topology import MAIN, Member, Topology, check_name

CATCH_UP_SECONDS = 300
ATTACH_SECONDS = 60


@dataclass(frozen=True)
class Added:
    """What `add_replica` made."""

    member: Member
    port: int
    gtid: str
    pool_bytes: int


def add_replica(topology: Topology, name: str, port: int | None = None, semi_sync: bool = False,
                say=lambda text: None) -> Added:
    """Add replica `name` to `topology` (held locked by the caller) and save it; `say` reports progress."""
    check_name(name)
    if name == MAIN or name in topology.members:
        raise ReplicationError(f"'{name}' already names a server of this topology",
                               "Choose another name (see `hms replica list`)")
    home = topology.replica_home(name)
    if home.exists():
        raise ReplicationError(f"{home} already exists (left by an earlier replica?)",
                               "Remove that directory, or choose another name")
    primary = topology.primary_member()
    primary_info = primary_login(primary)
    _check_protections(primary)
    with session(primary_info, database=None) as conn:
        _check_primary(conn, primary.name)
        with conn.cursor() as cur:
            cur.execute("SELECT @@innodb_buffer_pool_size, @@innodb_log_file_size, @@port")
            pool, redo, primary_port = (int(x) for x in cur.fetchone())
        fresh_account = account.read_password(primary.home) is None
        password = account.ensure(conn, primary.home)
    topology.primary_pool = topology.primary_pool or pool
    topology.redo_bytes = topology.redo_bytes or redo
    member = Member(name=name, home=home, server_id=topology.next_server_id(), semi_sync=semi_sync)
    chosen = port or free_port(first=primary_port + 1)
    try:
        home.mkdir(parents=True, mode=0o755)
        say(f"copying the primary '{primary.name}' with mariadb-backup ...")
        copied_at = provision.copy_server(primary.server(), home / "data")
        topology.members[name] = member
        _write_files(member, topology, primary_info, password, chosen)
        say(f"starting '{name}' on port {chosen} ...")
        member.server().start(port=chosen)
        with session(member.login(), database=None) as conn:
            role.apply(topology, member)
            link.attach(conn, primary_port, password, gtid=copied_at)
            link.wait_running(conn, ATTACH_SECONDS)
        say(f"catching up from {copied_at or 'the start'} ...")
        catch_up(primary_info, member)
        for other in [topology.primary_member(), *topology.replicas()]:
            if other is not member:
                _apply_role(topology, other)
        if semi_sync:
            join_semi_sync(primary_info, member)
        topology.save()
    except BaseException:
        topology.members.pop(name, None)
        _undo(member, primary_info if fresh_account and not topology.replicas() else None, primary)
        if semi_sync:
            _apply_role(topology, primary)   # no semi-sync on the primary without this replica
        if not topology.replicas() and not topology.record.exists():
            role.remove(primary)             # still a lone server
        raise
    return Added(member=member, port=chosen, gtid=copied_at,
                 pool_bytes=int(role.options(topology, member)["innodb_buffer_pool_size"]))


def primary_login(primary: Member):
    if primary.server().status().running:
        return primary.login()
    raise ReplicationError(f"the primary '{primary.name}' is not running",
                           "Start it with `hms server start`" if primary.name == MAIN
                           else f"Start it with `hms replica start {primary.name}`")


def _check_protections(primary: Member) -> None:
    """Refuse the protections replicas do not follow yet (hms/server/protection.py).

    An encrypted primary's replica gets a copy of its keys: its key file must open here."""
    choices = protection.load(primary.home)
    if choices.encrypt:
        physical_keys.home_keys(primary.home)  # its key file opens (HMS_KEY_PASSPHRASE) before anything is made
    if choices.beyond_loopback:
        raise ReplicationError(f"the primary '{primary.name}' listens on {choices.bind}, and hms sets up replicas "
                               "on loopback only", "See docs/replication.md, 'Addresses on real machines'")


def _check_primary(conn, name: str) -> None:
    reason = dialects.replication_unsupported(dialects.for_connection(conn))
    if reason:
        raise ReplicationError(f"the primary '{name}' is MySQL", reason)
    with conn.cursor() as cur:
        cur.execute("SELECT @@log_bin, @@binlog_format, @@read_only")
        log_bin, binlog_format, read_only = cur.fetchone()
    if not log_bin:
        raise ReplicationError(f"the primary '{name}' runs without a binary log",
                               "Restart it with `hms server stop && hms server start` (hms.cnf turns it on)")
    if read_only:
        raise ReplicationError(f"the primary '{name}' is read-only (a switchover did not finish?)",
                               "See `hms replica list`")


def _write_files(member: Member, topology: Topology, primary_info, password: str, port: int) -> None:
    server = member.server()
    # The copy holds the primary's accounts, so the same administrative login works there.
    write_option_file(server.client_file, "Administrative login of this replica. Keep private (0600).",
                      user=primary_info.user, password=primary_info.password, socket=str(server.socket_path),
                      port=port)
    role.write(topology, member)
    account.write_password(member.home, password)
    tls.adopt_ca(topology.primary_member().home, member.home)  # one CA: the replication link is verified TLS


def catch_up(primary_info, member: Member) -> None:
    with session(primary_info, database=None) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@gtid_binlog_pos")
        target = cur.fetchone()[0]
    with session(member.login(), database=None) as conn:
        if not link.wait_for(conn, target, CATCH_UP_SECONDS):
            raise ReplicationError(f"the replica did not catch up with the primary ({target}) within "
                                   f"{CATCH_UP_SECONDS} s", "See `hms replica status` and its error.log")


def join_semi_sync(primary_info, member: Member) -> None:
    """Reconnect the replica's I/O thread so the primary (semi-sync on by now) counts it; check it does."""
    with session(member.login(), database=None) as conn, conn.cursor() as cur:
        cur.execute("STOP SLAVE IO_THREAD")
        link.start(conn, "START SLAVE IO_THREAD")   # the acknowledging thread must not wait on idle CPU
    deadline = time.monotonic() + ATTACH_SECONDS
    with session(primary_info, database=None) as conn, conn.cursor() as cur:
        while True:
            cur.execute("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")
            if int(cur.fetchone()[1]) > 0:
                return
            if time.monotonic() > deadline:
                raise ReplicationError("the primary counts no semi-synchronous replica",
                                       "See the replica's error.log")
            time.sleep(0.2)


def _apply_role(topology: Topology, member: Member) -> None:
    """Give a running member its (new) role settings; a stopped one takes role.cnf at its next start."""
    try:
        role.apply(topology, member)
    except (ConnectionFailed, pymysql.err.MySQLError, OSError):
        role.write(topology, member)


def _undo(member: Member, drop_account_on, primary: Member) -> None:
    """Stop and delete a half-made replica; drop an account made for it alone."""
    with contextlib.suppress(HmsError, OSError, pymysql.err.MySQLError):
        member.server().stop()
    shutil.rmtree(member.home, ignore_errors=True)
    if drop_account_on is not None:
        with contextlib.suppress(HmsError, OSError, pymysql.err.MySQLError):
            with session(drop_account_on, database=None) as conn:
                account.drop(conn)
            account.forget(primary.home)
