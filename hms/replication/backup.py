"""`hms backup create --from-replica NAME`: a logical backup that does not load the primary.

The replica's SQL thread is stopped for the length of the dump (its I/O thread keeps
receiving, so a semi-sync primary keeps its acknowledgements), so the dump shows
exactly the transactions up to the replica's gtid_slave_pos, which the manifest
records (signed, like the rest of it) under "taken_from". Every member's binary log
holds the same GTIDs (log_slave_updates), so point-in-time recovery from such a
backup replays the transactions after that GTID from the primary's binary log.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import pymysql

from ..config import Settings
from ..connection import ConnectionInfo, session
from ..login import admin_login
from . import topology as topologies
from .errors import ReplicationError
from .status import all_states, login


@contextlib.contextmanager
def backup_source(settings: Settings, replica: str | None) -> Iterator[tuple[ConnectionInfo, dict | None]]:
    """Yield (the login to dump from, what the manifest records about it); replica None: the primary."""
    if replica is None:
        yield admin_login(settings), None
        return
    if settings.url:
        raise ReplicationError("--from-replica names a replica of the embedded server, and --url / "
                               "HMS_DATABASE_URL names another server", "Unset HMS_DATABASE_URL (and --url)")
    topology = topologies.load(settings.home)
    if topology is None:
        raise ReplicationError("this HMS_HOME has no replicas", "Add one with `hms replica add NAME`")
    member = topology.member(replica)
    _, (state,) = all_states(topology, [replica])
    if state.role != "replica" or state.broken:
        raise ReplicationError(f"'{replica}' cannot serve a backup: {state.problem() or 'it is the primary'}",
                               "Back up from a healthy replica (see `hms replica status`), or drop --from-replica")
    info = login(member).with_database(settings.database)
    with session(info, database=None) as control, control.cursor() as cur:
        cur.execute("STOP SLAVE SQL_THREAD")
        try:
            cur.execute("SELECT @@gtid_slave_pos")
            gtid = cur.fetchone()[0]
            yield info, {"taken_from": {"replica": replica, "address": f"127.0.0.1:{state.port}", "gtid": gtid,
                                        "primary": topology.primary}}
        finally:
            with contextlib.suppress(pymysql.err.MySQLError):
                cur.execute("START SLAVE SQL_THREAD")
