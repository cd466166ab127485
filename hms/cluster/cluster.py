"""`hms cluster`: a Galera cluster of N nodes kept under $HMS_HOME/cluster.

Uniform verbs over one folder of node homes and one description file (layout.py):
start (bootstrap a new cluster, start missing nodes, or cold-start from the most
advanced node), stop, restart one node, status. After `start`, $HMS_HOME/client.cnf
names node 1 (or the node `use` names), so every other hms command run with this
HMS_HOME reaches the cluster through that node.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from ..connection import session
from ..optionfiles import write_option_file
from ..server.runas import server_account
from . import grastate, layout as layouts, sst
from .errors import ClusterError
from .layout import Layout
from .node import ClusterNode, require_mariadb
from .status import NodeStatus
from .transfer import transfer_since

ROOT_USER = "root"


@dataclass(frozen=True)
class Rejoin:
    """How a node came back: by incremental (IST) or full (SST) state transfer, and how long it took."""

    node: int
    method: str
    seconds: float


class Cluster:
    """The cluster whose nodes live in `home`/cluster (home is HMS_HOME)."""

    def __init__(self, home: Path, layout: Layout):
        require_mariadb()
        self.home = Path(home).absolute()
        self.layout = layout
        self.nodes = [ClusterNode(self.directory / spec.name, layout, spec) for spec in layout.nodes]

    @property
    def directory(self) -> Path:
        return layouts.cluster_dir(self.home)

    # -- making and opening --------------------------------------------------
    @classmethod
    def open(cls, home: Path) -> "Cluster":
        """The cluster made in `home`; a ClusterError saying how to make one otherwise."""
        require_mariadb()
        found = layouts.load(home)
        if found is None:
            raise ClusterError(f"no cluster in {Path(home).absolute()}",
                               "Start one with `hms cluster start --nodes 3`")
        return cls(home, found)

    @classmethod
    def open_or_none(cls, home: Path) -> "Cluster | None":
        """The cluster made in `home`, or None."""
        found = layouts.load(home)
        return None if found is None else cls(home, found)

    @classmethod
    def prepare(cls, home: Path, nodes: int | None = None, base_port: int | None = None) -> "Cluster":
        """The cluster of `home`, made on first use (3 nodes, the first free ports, unless given).

        An existing cluster is kept; asking it for another size or other ports is an error.
        """
        existing = cls.open_or_none(home)
        if existing is None:
            count = nodes or 3
            wanted = layouts.loopback(count, base_port) if base_port else layouts.free_loopback(count)
            return cls.create(home, wanted)
        first = existing.layout.nodes[0]
        if (nodes not in (None, len(existing.nodes))) or (base_port not in (None, first.port)):
            raise ClusterError(f"{existing.home} already holds a cluster of {len(existing.nodes)} nodes "
                               f"(node 1 on port {first.port})",
                               "Run `hms cluster start` without --nodes/--base-port to start it, "
                               "or use another HMS_HOME")
        return existing

    @classmethod
    def create(cls, home: Path, layout: Layout) -> "Cluster":
        """Describe a new cluster in `home` (nothing started yet); refuses a home with another server."""
        require_mariadb()
        home = Path(home).absolute()
        existing = layouts.load(home)
        if existing is not None:
            if existing.nodes != layout.nodes:
                raise ClusterError(f"{home} already holds a cluster of {len(existing.nodes)} nodes "
                                   f"(node 1 on port {existing.nodes[0].port})",
                                   "Run `hms cluster start` without --nodes/--base-port to start it, "
                                   "or use another HMS_HOME")
            return cls(home, existing)
        if (home / "data" / "mysql").is_dir():
            raise ClusterError(f"{home} holds a standalone embedded server",
                               "Use another HMS_HOME for the cluster (e.g. HMS_HOME=./.hms-cluster)")
        for spec in layout.nodes:
            taken = layouts.busy_ports(spec)
            if taken:
                raise ClusterError(f"port {taken[0]} of node {spec.number} is already in use",
                                   "Choose other ports with --base-port")
        layouts.save(home, layout)
        return cls(home, layout)

    def node(self, number: int) -> ClusterNode:
        self.layout.node(number)  # the error naming valid numbers
        return self.nodes[number - 1]

    # -- verbs ---------------------------------------------------------------
    def status(self) -> list[NodeStatus]:
        """Each node's view: running, state, cluster size, primary, ready, flow control."""
        return [node.node_status() for node in self.nodes]

    def start(self, on_node=None) -> list[NodeStatus]:
        """Bring every node up, Synced; idempotent.

        A new cluster is bootstrapped from node 1. When nodes run in the primary
        component, the others join it. When none runs, the cold start bootstraps from the
        node with the most advanced saved position. `on_node(number, what)` hears progress.
        """
        on_node = on_node or (lambda number, what: None)
        self._let_server_account_in()
        auth = sst.sst_auth(self.directory)
        statuses = self.status()
        # A process that runs but does not answer yet (a joiner in its state transfer) counts
        # as running: bootstrapping beside it would make a second cluster.
        if not any(node.is_running() for node in self.nodes):
            first = self._bootstrap_node(on_node)
            on_node(first.number, "bootstrapped")
        elif not any(s.running and s.primary for s in statuses):
            self._restore_primary(statuses, on_node)
        for node in self.nodes:
            if not node.is_running():
                self._join(node, auth)
                on_node(node.number, "joined")
        self._point_home_at(self._entry_node())
        return self.status()

    def stop(self, on_node=None) -> list[int]:
        """Shut every node down cleanly, the last one marked safe to bootstrap; return those stopped."""
        on_node = on_node or (lambda number, what: None)
        stopped = []
        # One at a time, each leaving the cluster gracefully: the last keeps the primary
        # component to the end, and its grastate.dat says safe_to_bootstrap: 1.
        for node in reversed(self.nodes):
            if node.stop():
                stopped.append(node.number)
                on_node(node.number, "stopped")
        return sorted(stopped)

    def restart_node(self, number: int) -> Rejoin:
        """Stop node `number` cleanly (if it runs) and start it again; it rejoins by IST when it can."""
        node = self.node(number)
        others = [n for n in self.nodes if n.number != number]
        if node.is_running():
            if not any(n.node_status().primary for n in others):
                raise ClusterError(f"node {number} is the only running node of the primary component",
                                   "Restarting it would leave no primary component: start the other nodes "
                                   "first (`hms cluster start`), or stop the cluster (`hms cluster stop`)")
            node.stop()
        statuses = [n.node_status() for n in others]
        if not any(s.running and s.primary for s in statuses):
            if not any(n.is_running() for n in others):
                raise ClusterError(f"no other node of the cluster is running for node {number} to join",
                                   "Start the whole cluster with `hms cluster start` (it bootstraps from "
                                   "the most advanced node)")
            self._restore_primary(statuses, lambda n, what: None, also_stopped=[node])
        return self._join(node, sst.sst_auth(self.directory))

    def use(self, number: int) -> NodeStatus:
        """Point $HMS_HOME/client.cnf at node `number`, so hms commands reach the cluster through it."""
        node = self.node(number)
        status = node.node_status()
        if not status.running:
            raise ClusterError(f"node {number} is not running", "Start it with `hms cluster start`")
        self._point_home_at(node)
        return status

    # -- internals -----------------------------------------------------------
    def _let_server_account_in(self) -> None:
        """Give the server account search (x, not read) on HMS_HOME and its cluster folder, as
        `hms server start` does on a home, so it can reach its node's directory."""
        if server_account().pw_uid == os.geteuid():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for directory in (self.home, self.directory):
            info = directory.stat()
            if info.st_uid == os.geteuid() and not info.st_mode & stat.S_IXOTH:
                os.chmod(directory, stat.S_IMODE(info.st_mode) | stat.S_IXOTH)

    def _bootstrap_node(self, on_node) -> ClusterNode:
        """Start a new primary component: node 1 of a new cluster, else the most advanced node."""
        auth = sst.sst_auth(self.directory)
        fresh = not any((n.datadir / "mysql").is_dir() for n in self.nodes)
        if fresh:
            node = self.nodes[0]
            node.launch(auth, bootstrap=True, wait_synced=False)
            node._secure(node.spec.port)
            node.wait_synced()
            password = node.connection_info().password
            with session(node.connection_info(), database=None) as conn:
                sst.create_account(conn, sst.sst_password(self.directory))
            for other in self.nodes[1:]:
                other.write_client_file(password)
            return node
        states = [n.saved_state() for n in self.nodes if (n.datadir / "mysql").is_dir()]
        chosen = grastate.choose_bootstrap(states)
        node = self.nodes[chosen.number - 1]
        on_node(node.number, f"most advanced (seqno {chosen.seqno}): bootstrapping from it")
        if not chosen.safe_to_bootstrap:
            grastate.set_safe_to_bootstrap(node.datadir)
        for each in self.nodes:   # the new primary component is this bootstrap's, not a saved one
            (each.datadir / grastate.SAVED_VIEW).unlink(missing_ok=True)
        node.launch(auth, bootstrap=True, start_position=_position(chosen))
        return node

    def _restore_primary(self, statuses: list[NodeStatus], on_node, also_stopped=()) -> None:
        """No primary component while some nodes run: re-form it on the most advanced running node.

        Only when every node that is not running is verifiably down on this machine (its
        process gone): then the running ones are the whole cluster, not one side of a
        partition, and forcing a primary component cannot split the cluster in two.
        """
        running = [s for s in statuses if s.running]
        down = [n for n in self.nodes if n.number not in {s.node for s in running}]
        if not running or any(n.is_running() for n in down if n not in also_stopped):
            raise ClusterError("no node is in the primary component, and some nodes run but do not answer",
                               "Check `hms cluster status`; if nodes are cut off by the network, heal it first")
        best = max(running, key=lambda s: (s.last_committed or -1, -s.node))
        ahead = [st for st in (n.saved_state() for n in down if (n.datadir / "mysql").is_dir())
                 if st.known and st.seqno > (best.last_committed or -1)]
        if ahead:
            raise ClusterError(f"stopped node {ahead[0].number} holds newer commits (seqno {ahead[0].seqno}) "
                               f"than every running node (best: node {best.node}, seqno {best.last_committed})",
                               "Stop the cluster (`hms cluster stop`) and start it (`hms cluster start`): the "
                               "cold start bootstraps from the most advanced node")
        node = self.nodes[best.node - 1]
        with session(node.connection_info(), database=None) as conn, conn.cursor() as cur:
            cur.execute("SET GLOBAL wsrep_provider_options = 'pc.bootstrap=YES'")
        node.wait_synced()
        on_node(node.number, "primary component restored on it")

    def _join(self, node: ClusterNode, auth: str) -> Rejoin:
        """Start `node` as a joiner, and say how it caught up.

        A node that crashed left seqno -1 in grastate.dat, and would ask for a full copy
        (SST); its true position is read from InnoDB first (`--wsrep-recover`, what
        Debian's galera_recovery does) and passed as --wsrep_start_position, so a donor
        whose write-set cache still holds what it missed serves it by IST.
        """
        log_start = node.log_file.stat().st_size if node.log_file.exists() else 0
        started = time.monotonic()
        state = node.saved_state() if (node.datadir / "mysql").is_dir() else None
        position = _position(state) if state is not None and state.recovered else None
        # The saved view (pc.recovery) re-forms a primary component after every node
        # crashed; joining one that runs, a crashed node would first try to rebuild its old
        # view, with its old identity, and spend evs timeouts (~15 s) on it.
        (node.datadir / grastate.SAVED_VIEW).unlink(missing_ok=True)
        node.launch(auth, start_position=position)
        seconds = time.monotonic() - started
        return Rejoin(node.number, transfer_since(node.log_file, log_start), round(seconds, 3))

    def _entry_node(self) -> ClusterNode:
        """The node hms commands in this HMS_HOME reach: the one client.cnf names, if it is up, else the first up."""
        current = self._home_client_port()
        running = [n for n in self.nodes if n.node_status().synced]
        for node in running:
            if node.spec.port == current:
                return node
        if not running:
            raise ClusterError("no node is Synced", "See `hms cluster status`")
        return running[0]

    def _home_client_port(self) -> int | None:
        from ..optionfiles import read_option_file
        path = self.home / "client.cnf"
        if not path.is_file():
            return None
        try:
            return int(read_option_file(path).get("port", "0"))
        except ValueError:
            return None

    def _point_home_at(self, node: ClusterNode) -> None:
        info = node.connection_info()
        write_option_file(self.home / "client.cnf",
                          f"Administrative login of the hms cluster, through node {node.number}. "
                          "Keep private (0600).",
                          user=info.user, password=info.password, socket=info.unix_socket, port=node.spec.port)


def _position(state: grastate.SavedState | None) -> str | None:
    return f"{state.uuid}:{state.seqno}" if state is not None and state.known else None
