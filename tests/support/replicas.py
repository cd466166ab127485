"""Helpers of the replication tests: a primary home and its replicas driven through the real
`hms` command line, booking, and stopping every server a test started (by pid)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from hms.connection import ConnectionInfo, connect
from hms.replication import topology as topologies
from hms.server import EmbeddedServer
from tests.support import embedded_home

SEED_SCALE = "0.0005"
DATABASE = "hms"


class Cluster:
    """A primary home and its replicas, driven through the real `hms` command line."""

    def __init__(self, home: Path):
        self.home = home
        self.backup_dir = home / "backups"

    def hms(self, *args: str, stdin: str | None = None):
        """Run `hms --quiet ARGS` with this HMS_HOME (and no URL); return the click Result."""
        env = {"HMS_HOME": str(self.home), "HMS_BACKUP_DIR": str(self.backup_dir), "HMS_DATABASE_URL": None,
               "HMS_DATABASE": None, "HMS_SERVICE_PASSWORD": None, "HMS_REPLICA_MAX_LAG": None,
               "HMS_REPLICA_NICE": None}
        return CliRunner().invoke(cli, ["--quiet", *args], env=env, input=stdin, catch_exceptions=False)

    def ok(self, *args: str, stdin: str | None = None):
        result = self.hms(*args, stdin=stdin)
        assert result.exit_code == 0, f"hms {' '.join(args)}: {result.output}"
        return result

    def topology(self) -> topologies.Topology:
        return topologies.load(self.home)

    def primary(self) -> str:
        return self.topology().primary

    def server(self, name: str) -> EmbeddedServer:
        """The member's server, the same object `hms replica` uses in this process (so it is reaped)."""
        member = self.topology().members.get(name) if self.topology() else None
        if member is not None:
            return member.server()
        return topologies.server_for(self.home if name == "main" else self.home / "replicas" / name, "replica")

    def login(self, name: str, database: str | None = DATABASE) -> ConnectionInfo:
        return self.server(name).connection_info().with_database(database)

    def tcp(self, name: str, user: str, password: str, database: str | None = DATABASE) -> ConnectionInfo:
        """An account's login to member `name` over TCP, as a client elsewhere would reach it."""
        port = self.server(name).connection_info().port
        return ConnectionInfo(user=user, password=password, host="127.0.0.1", port=port, database=database)

    def connect(self, name: str, database: str | None = DATABASE):
        return connect(self.login(name, database))

    def gtid(self, name: str) -> str:
        with contextlib.closing(self.connect(name, None)) as conn, conn.cursor() as cur:
            cur.execute("SELECT @@gtid_current_pos")
            return cur.fetchone()[0]

    def wait_replicated(self, replica: str, timeout: float = 60) -> None:
        """Wait until `replica` applied everything the primary has now."""
        target = self.gtid(self.primary())
        with contextlib.closing(self.connect(replica, None)) as conn, conn.cursor() as cur:
            cur.execute("SELECT MASTER_GTID_WAIT(%s, %s)", (target, timeout))
            assert cur.fetchone()[0] == 0, f"{replica} did not reach {target}"

    def pid(self, name: str) -> int | None:
        return self.server(name).pid()

    def kill9(self, name: str) -> None:
        """kill -9 the member's server (by its pid) and wait until it is gone."""
        server = self.server(name)
        pid = server.pid()
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, server)

    def start_main(self) -> None:
        """Start the HMS_HOME's own server the way the tests made it (small profile)."""
        topologies.server_for(self.home, "test").start()

    def stop_everything(self) -> None:
        """Stop every server under the home, cleanly or, failing that, with SIGKILL by pid."""
        homes = [self.home, *sorted((self.home / "replicas").glob("*"))]
        for home in homes:
            server = topologies.server_for(home, "test")
            pid = server.pid()
            if pid is not None and _alive(pid):
                try:
                    server.stop()
                except Exception:  # noqa: BLE001 - a stuck server is killed below
                    pass
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, server)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(pid: int | None, server: EmbeddedServer, timeout: float = 30) -> None:
    """Wait until `pid` has ended, and reap it through the handle of the object that started it."""
    deadline = time.monotonic() + timeout
    while pid is not None and _alive(pid):
        assert time.monotonic() < deadline, f"process {pid} did not end"
        time.sleep(0.05)
    if server._process is not None:
        server._process.wait()
        server._process = None


@contextlib.contextmanager
def made_cluster(name: str, seed: bool):
    """A running, migrated (and, if asked, seeded) primary in a fresh home; everything stopped afterwards."""
    with embedded_home(name) as home:
        cluster = Cluster(home)
        try:
            cluster.start_main()
            cluster.ok("db", "migrate")
            if seed:
                cluster.ok("seed", "--scale", SEED_SCALE, "--seed", "7")
            yield cluster
        finally:
            cluster.stop_everything()


def book(conn, patient: int, doctor: int, slot: datetime, reason: str) -> int:
    """Book through the real procedure; return the appointment id."""
    with conn.cursor() as cur:
        cur.execute("CALL book_appointment(%s, %s, %s, NULL, %s, @replica_test_id)", (patient, doctor, slot, reason))
        cur.execute("SELECT @replica_test_id")
        return cur.fetchone()[0]


def future_slots(start_days: int = 200):
    """An endless run of distinct half-hour slots in the future."""
    slot = datetime.combine(datetime.now().date() + timedelta(days=start_days), datetime.min.time())
    while True:
        slot += timedelta(minutes=30)
        yield slot


def write_error(excinfo) -> int:
    return excinfo.value.args[0]

