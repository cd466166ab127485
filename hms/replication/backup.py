"""`hms backup create --from-replica NAME`: a logical backup that does not load the primary.

The replica's SQL thread is stopped for the length of the dump (its I/O thread keeps
receiving, so a semi-sync primary keeps its acknowledgements), so the dump shows
exactly the transactions up to the replica's gtid_slave_pos. The manifest records
(signed, like the rest of it) where it was taken, "taken_from": {replica, address,
gtid, primary}, and, as its "binlog" coordinates, where that snapshot stands in the
*primary's* binary log: the replica's Relay_Master_Log_File / Exec_Master_Log_Pos,
checked on the primary with BINLOG_GTID_POS. So point-in-time recovery from the backup
replays the primary's binary log (and its archive) from there, as for a backup of the
primary itself.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import pymysql

from ..config import Settings
from ..connection import ConnectionInfo, session
from ..login import admin_login
from . import gtid as gtids
from . import link
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
    with session(info, database=None) as control, control.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("STOP SLAVE SQL_THREAD")
        try:
            cur.execute("SELECT @@gtid_slave_pos AS gtid")
            gtid = cur.fetchone()["gtid"]
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
            where = _on_primary(topology, row["Relay_Master_Log_File"], int(row["Exec_Master_Log_Pos"]), gtid)
            yield info, {"taken_from": {"replica": replica, "address": f"127.0.0.1:{state.port}", "gtid": gtid,
                                        "primary": topology.primary},
                         "binlog": where}
        finally:
            with contextlib.suppress(pymysql.err.MySQLError):
                link.start(cur.connection, "START SLAVE SQL_THREAD")


def _on_primary(topology: topologies.Topology, file: str, position: int, gtid: str) -> dict | None:
    """{file, position, gtid} of the replica's stopping point in the primary's binary log, once the
    primary confirms it holds `gtid` there; None (no point-in-time recovery) when it cannot."""
    with session(topology.primary_member().login(), database=None) as conn, conn.cursor() as cur:
        cur.execute("SELECT BINLOG_GTID_POS(%s, %s)", (file, position))
        there = cur.fetchone()[0]
    if there is None or gtids.sequences(there) != gtids.sequences(gtid):
        return None
    return {"file": file, "position": position, "gtid": gtid}
