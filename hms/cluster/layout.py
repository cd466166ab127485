"""Where each node of a cluster lives and listens: the cluster's one description file.

Like dbdeployer's sandboxes, a cluster is a folder of server homes with one description
file, `$HMS_HOME/cluster/cluster.json`: per node its address, its four ports (client,
Galera replication, incremental state transfer (IST), full state transfer (SST)) and,
for the partition tests, the network namespace it runs in. No secret is kept here.

On loopback, node K of a cluster with base port P listens on P + 10(K-1) for clients,
and on the three ports after it for replication, IST and SST.
"""

from __future__ import annotations

import json
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import ClusterError

DEFAULT_BASE_PORT = 4560
PORT_STRIDE = 10
MAX_NODES = 9
CLUSTER_DIR = "cluster"
DESCRIPTION = "cluster.json"
CLUSTER_NAME = "hms"


@dataclass(frozen=True)
class NodeSpec:
    """One node: its number (1..N), address, ports and, optionally, its network namespace."""

    number: int
    address: str
    port: int
    galera_port: int
    ist_port: int
    sst_port: int
    netns: str | None = None

    @property
    def name(self) -> str:
        return f"node{self.number}"

    @property
    def ports(self) -> tuple[int, int, int, int]:
        return (self.port, self.galera_port, self.ist_port, self.sst_port)


@dataclass(frozen=True)
class Layout:
    """Every node of one cluster."""

    nodes: tuple[NodeSpec, ...]
    name: str = CLUSTER_NAME
    extra: dict = field(default_factory=dict)

    def node(self, number: int) -> NodeSpec:
        """The node numbered `number`; a ClusterError naming the valid numbers otherwise."""
        for spec in self.nodes:
            if spec.number == number:
                return spec
        raise ClusterError(f"the cluster has no node {number}",
                           f"Use a node number from 1 to {len(self.nodes)} (`hms cluster status` lists them)")

    def cluster_address(self) -> str:
        """The gcomm:// address naming every node's replication port."""
        return "gcomm://" + ",".join(f"{n.address}:{n.galera_port}" for n in self.nodes)

    def as_dict(self) -> dict:
        return {"name": self.name, "nodes": [asdict(n) for n in self.nodes]}


def loopback(nodes: int, base_port: int = DEFAULT_BASE_PORT) -> Layout:
    """N nodes on 127.0.0.1, ports from `base_port` in blocks of ten."""
    if not 1 <= nodes <= MAX_NODES:
        raise ClusterError(f"a cluster of {nodes} nodes cannot be made here",
                           f"Use --nodes from 1 to {MAX_NODES}; 3 is the smallest that survives losing one")
    last = base_port + PORT_STRIDE * (nodes - 1) + 3
    if base_port < 1024 or last > 65535:
        raise ClusterError(f"ports {base_port}-{last} are out of range",
                           "Use a --base-port from 1024 that leaves room for 10 ports a node")
    specs = []
    for k in range(1, nodes + 1):
        port = base_port + PORT_STRIDE * (k - 1)
        specs.append(NodeSpec(k, "127.0.0.1", port, port + 1, port + 2, port + 3))
    return Layout(tuple(specs))


def free_loopback(nodes: int, start: int = DEFAULT_BASE_PORT, step: int = 100, tries: int = 50) -> Layout:
    """A loopback layout whose every port is free now: the first block from `start` up, `step` apart."""
    for base in range(start, start + step * tries, step):
        candidate = loopback(nodes, base)
        if not any(busy_ports(spec) for spec in candidate.nodes):
            return candidate
    raise ClusterError(f"no free block of ports from {start} to {start + step * tries}",
                       "Choose the ports with --base-port")


def cluster_dir(home: Path) -> Path:
    return Path(home) / CLUSTER_DIR


def save(home: Path, layout: Layout) -> None:
    """Write the description file (never a secret in it)."""
    directory = cluster_dir(home)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / DESCRIPTION
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(layout.as_dict(), indent=2) + "\n")
    tmp.replace(path)


def load(home: Path) -> Layout | None:
    """The cluster described in `home`, or None when none was made there."""
    path = cluster_dir(home) / DESCRIPTION
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return Layout(tuple(NodeSpec(**n) for n in data["nodes"]), name=data.get("name", CLUSTER_NAME))
    except (ValueError, KeyError, TypeError) as exc:
        raise ClusterError(f"the cluster description {path} is unreadable ({exc})",
                           "Restore it, or stop the nodes and remove the cluster folder to start afresh") from None


def busy_ports(spec: NodeSpec) -> list[int]:
    """The ports of a loopback node that something already listens on."""
    if spec.netns:
        return []  # its own network namespace: nothing else listens there
    taken = []
    for port in spec.ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((spec.address, port))
            except OSError:
                taken.append(port)
    return taken
