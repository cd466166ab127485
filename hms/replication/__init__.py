"""Read replicas of the embedded server: GTID replication, behind `hms replica`.

- topology.py: the servers of one HMS_HOME (replication.json) and the `primary` record;
- role.py: what being primary or replica means for a server (role.cnf: read_only,
  semi-sync, server id, the memory rule), written and applied live;
- account.py: the replication account (REPLICATION SLAVE only, created from a hash);
- provision.py: a new data directory copied from a running server by mariadb-backup;
- link.py: CHANGE MASTER TO / START SLAVE / MASTER_GTID_WAIT on one server; gtid.py: positions;
- add.py, lifecycle.py (start, stop, remove), promote.py (switchover, failover),
  rejoin.py (an old primary or a broken replica back in line);
- status.py: running, lag, thread states, last error; routing.py: where reads go;
- check.py: every table of the primary and a replica compared at one GTID.
"""

from .errors import ReplicationError
from .topology import MAIN, Member, Topology, load, locked, primary_home

__all__ = ["MAIN", "Member", "ReplicationError", "Topology", "load", "locked", "primary_home"]
