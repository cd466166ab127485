"""Where reads go: the least-lagged healthy replica, else the primary.

A replica serves reads when its server answers, both replication threads run, and
it is at most MAX_LAG_SECONDS behind (Seconds_Behind_Master). Among those, the one
fewest transactions behind wins, then the fewest seconds, then the name. Analysts'
reports tolerate data that old; a read that must see a write just made uses the
primary (`hms query --primary`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..connection import ConnectionInfo
from . import topology as topologies
from .status import MemberState, all_states, login

MAX_LAG_SECONDS = 30
MAX_LAG_ENV = "HMS_REPLICA_MAX_LAG"


@dataclass(frozen=True)
class ReadTarget:
    """A replica chosen for reads: its name, state and administrative login."""

    name: str
    state: MemberState
    login: ConnectionInfo

    @property
    def address(self) -> str:
        """host:port an account uses to reach it over TCP (replicas listen on loopback, like the primary)."""
        return f"127.0.0.1:{self.state.port}"


def max_lag(env: dict[str, str] | None = None) -> int:
    """The lag threshold in seconds: HMS_REPLICA_MAX_LAG, else MAX_LAG_SECONDS."""
    env = os.environ if env is None else env
    try:
        return max(0, int(env.get(MAX_LAG_ENV, MAX_LAG_SECONDS)))
    except ValueError:
        return MAX_LAG_SECONDS


def read_replica(home: Path, lag_limit: int | None = None) -> ReadTarget | None:
    """The healthy replica reads should go to, or None when there is none (no topology, all broken or lagging)."""
    topology = topologies.load(home)
    if topology is None or not topology.replicas():
        return None
    limit = max_lag() if lag_limit is None else lag_limit
    _, states = all_states(topology)
    healthy = [s for s in states if not s.broken and s.lag_seconds is not None and s.lag_seconds <= limit]
    if not healthy:
        return None
    best = min(healthy, key=lambda s: (s.lag_transactions if s.lag_transactions is not None else 1 << 62,
                                       s.lag_seconds, s.name))
    info = login(topology.member(best.name))
    return ReadTarget(name=best.name, state=best, login=info)


def analyst_address(home: Path) -> str | None:
    """Where an analyst should connect, for `hms users show`: the read replica's address; None without replicas."""
    topology = topologies.load(home)
    if topology is None or not topology.replicas():
        return None
    target = read_replica(home)
    if target is None:
        return "the primary (no replica is healthy right now)"
    return f"{target.address} (replica '{target.name}', read-only)"
