"""A node's view of the cluster, from its wsrep status variables."""

from __future__ import annotations

from dataclasses import dataclass

WSREP_STATUS = "SHOW GLOBAL STATUS WHERE Variable_name IN (" + ", ".join(["%s"] * 8) + ")"
WSREP_NAMES = ("wsrep_local_state_comment", "wsrep_cluster_size", "wsrep_cluster_status", "wsrep_ready",
               "wsrep_connected", "wsrep_flow_control_paused", "wsrep_last_committed",
               "wsrep_cluster_state_uuid")


@dataclass(frozen=True)
class NodeStatus:
    """One node: running or not, its state (Synced, Donor/Desynced, Joining, Joined, ...), the
    size of the component it sees, whether that is the primary component, whether it takes
    writes, and the fraction of time flow control paused replication since the last look."""

    node: int
    port: int
    address: str
    running: bool
    state: str | None = None
    cluster_size: int | None = None
    primary: bool = False
    ready: bool = False
    connected: bool = False
    flow_control_paused: float | None = None
    last_committed: int | None = None
    cluster_uuid: str | None = None

    def as_dict(self) -> dict:
        return {"node": self.node, "port": self.port, "address": self.address, "running": self.running,
                "state": self.state, "cluster_size": self.cluster_size, "primary": self.primary,
                "ready": self.ready, "flow_control_paused": self.flow_control_paused,
                "last_committed": self.last_committed}

    @property
    def synced(self) -> bool:
        return self.running and self.primary and self.ready and self.state == "Synced"


def read_status(conn, node: int, port: int, address: str) -> NodeStatus:
    """The NodeStatus of the node behind `conn` (SHOW STATUS works even outside the primary component)."""
    with conn.cursor() as cur:
        cur.execute(WSREP_STATUS, WSREP_NAMES)
        values = {name.lower(): value for name, value in cur.fetchall()}
    return NodeStatus(
        node=node, port=port, address=address, running=True,
        state=values.get("wsrep_local_state_comment") or None,
        cluster_size=_int(values.get("wsrep_cluster_size")),
        primary=values.get("wsrep_cluster_status") == "Primary",
        ready=values.get("wsrep_ready") == "ON",
        connected=values.get("wsrep_connected") == "ON",
        flow_control_paused=_float(values.get("wsrep_flow_control_paused")),
        last_committed=_int(values.get("wsrep_last_committed")),
        cluster_uuid=values.get("wsrep_cluster_state_uuid") or None,
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value) -> float | None:
    try:
        return round(float(value), 4)
    except (TypeError, ValueError):
        return None
