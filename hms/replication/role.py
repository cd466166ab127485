"""What a member's place in the topology means for its server: role.cnf and live settings.

role.cnf (read by hms/server/config.py on every start, so `hms server start` keeps a
replica fenced) pins for each member:
- server_id, unique in the topology (the HMS_HOME's own server keeps 1);
- read_only = ON on every replica. No hms role holds READ ONLY ADMIN (sql/roles/
  hms_dba.sql revokes it on MariaDB, where ALL PRIVILEGES would include it), so no hms
  account and no console account can write there; the replication threads always can;
- semi-sync: the primary waits (AFTER_SYNC, up to SEMI_SYNC_TIMEOUT_MS) for one
  semi-sync replica's acknowledgement before a commit returns;
- the memory rule: the primary keeps its buffer pool P (40% of RAM in the default
  profile); the replicas share P/2, each P/2/<replicas>, at least 64 MiB. So the whole
  topology takes at most 1.5 P, not P per server. Each replica's redo log is the
  primary's size, so it can absorb the same write bursts;
- the CPU and I/O priority (hms/replication/priority.py): a running asynchronous replica's
  server is lowered (nice 5, I/O best-effort 7) and its clients run on idle CPU, so it yields
  the shared cores to the primary.
"""

from __future__ import annotations

import contextlib

import pymysql

from ..connection import session
from ..server.config import ROLE_NAME
from . import account, priority
from .topology import Member, Topology


SEMI_SYNC_TIMEOUT_MS = 10_000
MIN_REPLICA_POOL = 64 << 20
MIB = 1 << 20


def replica_pool(primary_pool: int, replicas: int) -> int:
    """Each replica's buffer pool under the memory rule: P/2 shared by the replicas, at least 64 MiB."""
    share = primary_pool // 2 // max(1, replicas)
    return max(MIN_REPLICA_POOL, share // MIB * MIB)


def options(topology: Topology, member: Member) -> dict[str, str]:
    """The [mysqld] options role.cnf pins for `member` in its current role."""
    found = {"server_id": str(member.server_id)}
    if topology.redo_bytes:
        found["innodb_log_file_size"] = str(topology.redo_bytes)
    if member.name == topology.primary:
        if topology.primary_pool:
            found["innodb_buffer_pool_size"] = str(topology.primary_pool)
        if topology.semi_sync():
            found.update(rpl_semi_sync_master_enabled="ON", rpl_semi_sync_master_wait_point="AFTER_SYNC",
                         rpl_semi_sync_master_timeout=str(SEMI_SYNC_TIMEOUT_MS))
        return found
    found["read_only"] = "ON"
    found["report_host"] = account.HOST   # named in the primary's SHOW SLAVE HOSTS (hms seed checks it)
    if topology.primary_pool:
        live = [m for m in topology.replicas() if not m.fenced] or [member]
        found["innodb_buffer_pool_size"] = str(replica_pool(topology.primary_pool, len(live)))
    if member.semi_sync:
        # Also makes a crashed old primary's recovery drop transactions no replica acknowledged.
        found["rpl_semi_sync_slave_enabled"] = "ON"
    return found


def write(topology: Topology, member: Member) -> None:
    """Write the member's role.cnf for its current role (applied in full at its next start)."""
    body = "\n".join(f"{key} = {value}" for key, value in options(topology, member).items())
    (member.home / ROLE_NAME).write_text(
        "# Written by `hms replica`: this server's place in the replication topology.\n"
        f"# hms.cnf takes these on every start; do not edit (see docs/replication.md).\n[mysqld]\n{body}\n")


def remove(member: Member) -> None:
    """Forget the member's role: a lone server again."""
    with contextlib.suppress(FileNotFoundError):
        (member.home / ROLE_NAME).unlink()


def apply(topology: Topology, member: Member) -> None:
    """Write role.cnf and set what can change while the server runs (fence, semi-sync, pool)."""
    write(topology, member)
    wanted = options(topology, member)
    primary = member.name == topology.primary
    with session(member.login(), database=None) as conn, conn.cursor() as cur:
        if primary:
            semi = wanted.get("rpl_semi_sync_master_enabled") == "ON"
            if semi:
                cur.execute("SET GLOBAL rpl_semi_sync_master_wait_point = 'AFTER_SYNC'")
                cur.execute("SET GLOBAL rpl_semi_sync_master_timeout = %s", (SEMI_SYNC_TIMEOUT_MS,))
            cur.execute("SET GLOBAL rpl_semi_sync_master_enabled = %s", ("ON" if semi else "OFF",))
            cur.execute("SET GLOBAL rpl_semi_sync_slave_enabled = OFF")
            cur.execute("SET GLOBAL read_only = OFF")
        else:
            cur.execute("SET GLOBAL read_only = ON")
            cur.execute("SET GLOBAL rpl_semi_sync_master_enabled = OFF")
            cur.execute("SET GLOBAL rpl_semi_sync_slave_enabled = %s",
                        ("ON" if member.semi_sync else "OFF",))
        pool = wanted.get("innodb_buffer_pool_size")
        if pool:
            # Resized online where the server can; role.cnf applies it at the next start anyway.
            with contextlib.suppress(pymysql.err.MySQLError):
                cur.execute("SELECT @@innodb_buffer_pool_size")
                if int(cur.fetchone()[0]) != int(pool):
                    cur.execute("SET GLOBAL innodb_buffer_pool_size = %s", (int(pool),))
        priority.idle_clients(conn, replica=not primary)   # a replica's clients run on idle CPU
    priority.settle(member.server(), replica=priority.yields(primary, member.semi_sync))
