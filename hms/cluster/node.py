"""One cluster node: an embedded server (hms/server) with Galera switched on.

It keeps the embedded server's home layout, hms.cnf and unprivileged `mysql` account,
and adds galera.cnf, the bootstrap and joining starts, the crash-recovery of a node's
position, and waiting until the node is Synced.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pymysql

from .. import dialect as dialects
from .. import tls
from ..connection import session
from ..errors import ConnectionFailed, ServerError
from ..server import EmbeddedServer, protection
from ..server.config import write_config
from ..server.embedded import _alive
from ..server.runas import prepare_home, server_account
from . import grastate
from .config import provider_path, remove_galera_include, write_galera_config
from .errors import ClusterError
from .layout import Layout, NodeSpec
from .status import NodeStatus, read_status

# A joiner taking a full copy (SST) answers only once the copy is in: allow for it.
JOIN_TIMEOUT = 300.0
SYNC_TIMEOUT = 300.0


class ClusterNode(EmbeddedServer):
    """Node `spec.number` of a cluster, its home in `home` (…/cluster/nodeK)."""

    def __init__(self, home: Path, layout: Layout, spec: NodeSpec):
        super().__init__(home, profile="test")   # 128M buffer pool, small redo log
        self.layout = layout
        self.spec = spec

    @property
    def number(self) -> int:
        return self.spec.number

    def node_status(self) -> NodeStatus:
        """What this node says of the cluster; running=False when it does not answer."""
        down = NodeStatus(self.number, self.spec.port, self.spec.address, running=False)
        if not self.client_file.is_file():
            return down
        try:
            with session(self.connection_info(), database=None, read_timeout=10) as conn:
                return read_status(conn, self.number, self.spec.port, self.spec.address)
        except (pymysql.err.MySQLError, ConnectionFailed, ServerError, OSError):
            return down

    def is_running(self) -> bool:
        pid = self.pid()
        return pid is not None and _alive(pid)

    def saved_state(self) -> grastate.SavedState:
        """This stopped node's position; a crashed node's is recovered from InnoDB."""
        state = grastate.read_grastate(self.datadir, self.number)
        if state.uuid is not None and state.seqno < 0 and (self.datadir / "mysql").is_dir():
            recovered = self.recover_position()
            if recovered:
                state = grastate.SavedState(self.number, recovered[0], recovered[1],
                                            state.safe_to_bootstrap, recovered=True)
        return state

    def recover_position(self) -> tuple[str, int] | None:
        """(cluster uuid, seqno) InnoDB holds: `mariadbd --wsrep-recover` as the server account."""
        server_bin, _ = self._server_binary()
        command = [*self._prefix(), str(server_bin), f"--defaults-file={self.config_file}", "--wsrep-recover"]
        return grastate.recover_position(command, self.log_file)

    def launch(self, sst_auth: str, bootstrap: bool = False, start_position: str | None = None,
               wait_synced: bool = True) -> NodeStatus:
        """Start this node: bootstrap a new primary component, or join the others; wait until Synced."""
        server_bin, dialect = self._server_binary()
        provider = provider_path()
        if provider is None:
            raise ClusterError("the Galera provider (libgalera_smm.so) is not installed",
                               "Install it: `scripts/system-packages.sh cluster` (Debian's galera-4)")
        account = server_account()
        prepare_home(self.home, self.log_file, account)
        # The home's protections (TLS above all: accounts for remote hosts are REQUIRE SSL), as
        # `hms server start` gives them, per node with the cluster's CA. Bound to the node's
        # own address (the Galera config's too), so its certificate names that address and,
        # beyond loopback (nodes on real hosts, the partition test), TCP logins require TLS.
        # One CA for the cluster (…/cluster/tls), copied into each node: the nodes' Galera
        # traffic and state transfers are TLS, each verifying the other's certificate with it.
        tls.ensure_ca(self.home.parent)
        tls.adopt_ca(self.home.parent, self.home)
        choices = protection.choose(self.home, bind=self.spec.address, fresh=not (self.datadir / "mysql").is_dir())
        extra = protection.server_options(self, dialect, account.pw_uid, choices)
        write_config(self, dialect, self.spec.port, account.pw_name, server_id=self.number, extra_options=extra)
        if bootstrap and not (self.datadir / "mysql").is_dir():
            remove_galera_include(self)
            self._initialise(server_bin, dialect, account.pw_name)
        write_galera_config(self, self.layout, self.spec, provider, sst_auth, account)
        extra = []
        if bootstrap:
            extra.append("--wsrep-new-cluster")
        if start_position:
            extra.append(f"--wsrep_start_position={start_position}")
        self._start_process(server_bin, extra, JOIN_TIMEOUT)
        if not wait_synced:
            return self.node_status()
        return self.wait_synced()

    def wait_synced(self, timeout: float = SYNC_TIMEOUT) -> NodeStatus:
        """Wait until the node is Synced in the primary component and ready for writes."""
        deadline = time.monotonic() + timeout
        status = self.node_status()
        while not status.synced:
            if not self.is_running():
                raise ClusterError(f"node {self.number} stopped while joining: {self._log_tail()}",
                                   f"See {self.log_file}")
            if time.monotonic() > deadline:
                raise ClusterError(f"node {self.number} did not become Synced within {timeout:.0f} s "
                                   f"(state {status.state or 'unknown'})", f"See {self.log_file}")
            time.sleep(0.3)
            status = self.node_status()
        return status

    def kill(self) -> int | None:
        """Kill the server process at once (SIGKILL), as a crash would; return its pid."""
        pid = self.pid()
        if pid is None or not _alive(pid):
            return None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._process is not None:
            self._process.wait()
            self._process = None
        return pid

    def write_client_file(self, password: str) -> None:
        """This node's administrative login: the cluster's root password, its own socket and port."""
        self._write_client_file(password, self.spec.port)

    # -- internals -----------------------------------------------------------
    def _server_binary(self) -> tuple[Path, dialects.Dialect]:
        return require_mariadb()

    def _prefix(self) -> list[str]:
        """How to enter the node's network namespace, when it has one."""
        return ["ip", "netns", "exec", self.spec.netns] if self.spec.netns else []

    def _start_process(self, server_bin: Path, extra: list[str], timeout: float) -> None:
        command = [*self._prefix(), str(server_bin), f"--defaults-file={self.config_file}", *extra]
        with open(self.home / "server.out", "ab") as out:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                       start_new_session=True, env=protection.server_environment(self.home))
        self._process = process
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._process = None
                raise ClusterError(f"node {self.number} exited during start-up: {self._log_tail()}",
                                   f"See {self.log_file}")
            if self._answers_as_any():
                return
            time.sleep(0.2)
        raise ClusterError(f"node {self.number} did not answer within {timeout:.0f} s", f"See {self.log_file}")


def require_mariadb() -> tuple[Path, dialects.Dialect]:
    """The MariaDB server binary; one line refusing a machine whose server is MySQL (Galera is MariaDB's)."""
    found = dialects.find_server_binary()
    if found is None:
        raise ServerError("no MariaDB server binary (mariadbd) was found", dialects.INSTALL_HINT)
    if not found[1].is_mariadb:
        raise ClusterError("Galera needs MariaDB, and this machine's server is MySQL",
                           dialects.CLUSTER_ON_MYSQL_HINT)
    return found
