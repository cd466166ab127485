"""What the cluster tests share: the hms CLI against a cluster home, per-node checksums,
double-booking checks, a booking storm over several nodes, and network namespaces."""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pymysql
import pytest

from hms import dialect as dialects
from hms.backup import contents
from hms.cluster import Cluster, ClusterNode, NodeNotPrimary
from hms.cluster.config import provider_path
from hms.cluster.booking import BookingConflict, SlotTaken, book
from hms.connection import ConnectionInfo, connect, session
from hms.errors import ConnectionFailed, DatabaseError

from . import Clinic, query

_found = dialects.find_server_binary()
# Every cluster test module: `pytestmark = needs_cluster`.
needs_cluster = pytest.mark.skipif(
    _found is None or not _found[1].is_mariadb or provider_path() is None,
    reason="the cluster tests need mariadbd and galera-4 on this machine (scripts/system-packages.sh cluster)")

DOUBLE_BOOKINGS = ("SELECT doctor_id, starts_at, COUNT(*) FROM appointment WHERE status <> 'Cancelled' "
                   "GROUP BY doctor_id, starts_at HAVING COUNT(*) > 1")


def hms(home: Path, *args, stdin: str | None = None, env: dict[str, str] | None = None,
        timeout: int = 600) -> subprocess.CompletedProcess:
    """Run this checkout's `hms` CLI with HMS_HOME=home (and no other HMS_ setting but `env`'s)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HMS_")}, **(env or {})}
    env["HMS_HOME"] = str(home)
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, str(root / "cli.py"), *args], capture_output=True, text=True,
                          env=env, input=stdin, timeout=timeout)


def stop_all(cluster: Cluster | None) -> None:
    """Stop every node of `cluster` (teardown): cleanly when it answers, else by SIGKILL of its pid."""
    if cluster is None:
        return
    for node in cluster.nodes:
        try:
            node.stop()
        except Exception:   # noqa: BLE001 - teardown: whatever went wrong, the process must go
            node.kill()


def node_info(node: ClusterNode, database: str | None = "hms") -> ConnectionInfo:
    return node.connection_info().with_database(database)


def checksums(cluster: Cluster, database: str = "hms") -> list[tuple[dict, dict]]:
    """(rows, checksum) of every table of `database`, per node, each read in one snapshot.

    Causal reads (wsrep_sync_wait): each node first applies every write set committed
    anywhere before the read.
    """
    found = []
    for node in cluster.nodes:
        with session(node_info(node, None)) as conn:
            query(conn, "SET SESSION wsrep_sync_wait = 1")
            conn.begin()
            found.append(contents.table_stats(conn, database))
            conn.rollback()
    return found


def double_bookings(node: ClusterNode, database: str = "hms") -> list[tuple]:
    with session(node_info(node, database)) as conn:
        query(conn, "SET SESSION wsrep_sync_wait = 1")
        return query(conn, DOUBLE_BOOKINGS)


def clinic_rows(node: ClusterNode, doctors: int = 3, patients: int = 5, database: str = "hms") -> dict:
    """A few doctors and patients made through `node`: what bookings need."""
    with session(node_info(node, database)) as conn:
        clinic = Clinic(conn)
        department = clinic.department()
        return {"doctors": [clinic.doctor(department) for _ in range(doctors)],
                "patients": [clinic.patient() for _ in range(patients)]}


# Days far ahead, handed out once each in this process, so two tests never book the same slot.
_next_day = itertools.count(random.randrange(400, 2000))


def far_slots(count: int) -> list[datetime]:
    """`count` distinct half-hour slots (20 a day) on days no other caller gets."""
    slots: list[datetime] = []
    while len(slots) < count:
        day = date.today() + timedelta(days=next(_next_day))
        base = datetime(day.year, day.month, day.day, 8)
        slots.extend(base + timedelta(minutes=30 * k) for k in range(20))
    return slots[:count]


@dataclass
class Outcome:
    node: int
    at: float
    kind: str          # booked, taken, conflict, not primary, down, or "error: <message>"
    attempts: int = 1


@dataclass
class BookingStorm:
    """Clients on several nodes booking the same (doctor, slot) pairs at the same moment, until stopped.

    Every client walks the same list of pairs in the same order, moving on when its pair is
    booked (by it or anyone): the clients race for one pair at a time, so conflicts are
    constant and bookings still go on (give it more slots than the storm can fill).
    """

    nodes: list[ClusterNode]
    doctors: list[int]
    patients: list[int]
    slots: list[datetime]
    clients_per_node: int = 2
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "BookingStorm":
        for node in self.nodes:
            for n in range(self.clients_per_node):
                thread = threading.Thread(target=self._client, args=(node, random.Random(f"{node.number}-{n}")),
                                          daemon=True, name=f"storm-{node.number}-{n}")
                self._threads.append(thread)
                thread.start()
        return self

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        return self.outcomes

    def _record(self, node: int, kind: str, attempts: int = 1) -> None:
        with self._lock:
            self.outcomes.append(Outcome(node, time.monotonic(), kind, attempts))

    def _client(self, node: ClusterNode, rng: random.Random) -> None:
        pairs = [(doctor, slot) for slot in self.slots for doctor in self.doctors]
        position = 0
        conn = None
        while not self._stop.is_set() and position < len(pairs):
            doctor, slot = pairs[position]
            try:
                if conn is None:   # a killed node: ConnectionFailed, below
                    conn = connect(node_info(node), read_timeout=30)
                result = book(conn, rng.choice(self.patients), doctor, slot, reason="storm")
                self._record(node.number, "booked", result.attempts)
                position += 1
            except SlotTaken:
                self._record(node.number, "taken")
                position += 1
            except BookingConflict:
                self._record(node.number, "conflict")
            except NodeNotPrimary:
                self._record(node.number, "not primary")
                time.sleep(0.2)
            except DatabaseError as exc:   # anything else the server refused: kept for the test to see
                self._record(node.number, f"error: {exc.message}")
                time.sleep(0.2)
            except (ConnectionFailed, pymysql.err.MySQLError, OSError):
                self._record(node.number, "down")
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
                time.sleep(0.5)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def errors(outcomes: list[Outcome]) -> list[str]:
    """The unexpected refusals of a storm."""
    return [o.kind for o in outcomes if o.kind.startswith("error")]


def kinds(outcomes: list[Outcome], node: int | None = None, after: float = 0.0) -> dict[str, int]:
    """How many outcomes of each kind (of one node, after a moment)."""
    counted: dict[str, int] = {}
    for outcome in outcomes:
        if (node is None or outcome.node == node) and outcome.at >= after:
            counted[outcome.kind] = counted.get(outcome.kind, 0) + 1
    return counted


# -- network namespaces -------------------------------------------------------------------

def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


@dataclass
class Namespaces:
    """N network namespaces, each with one veth into a bridge that lives in a namespace of its own.

    Only 10.x addresses, only inside the namespaces; the host's own network is not touched.
    `cut(k)` takes node k's link down at the bridge, `heal(k)` brings it back.
    """

    count: int
    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    subnet: str = field(default_factory=lambda: f"10.{random.randrange(100, 250)}.{random.randrange(1, 250)}")
    made: list[str] = field(default_factory=list)

    def node_ns(self, k: int) -> str:
        return f"hmsc{self.tag}n{k}"

    @property
    def bridge_ns(self) -> str:
        return f"hmsc{self.tag}br"

    def address(self, k: int) -> str:
        return f"{self.subnet}.{k}"

    def bridge_end(self, k: int) -> str:
        return f"hc{self.tag}b{k}"

    def __enter__(self) -> "Namespaces":
        try:
            ip("netns", "add", self.bridge_ns)
            self.made.append(self.bridge_ns)
            ip("-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
            ip("-n", self.bridge_ns, "link", "set", "br0", "up")
            for k in range(1, self.count + 1):
                ns, node_end = self.node_ns(k), f"hc{self.tag}n{k}"
                ip("netns", "add", ns)
                self.made.append(ns)
                ip("-n", ns, "link", "set", "lo", "up")
                ip("link", "add", node_end, "netns", ns, "type", "veth", "peer", "name", self.bridge_end(k),
                   "netns", self.bridge_ns)
                ip("-n", ns, "addr", "add", f"{self.address(k)}/24", "dev", node_end)
                ip("-n", ns, "link", "set", node_end, "up")
                ip("-n", self.bridge_ns, "link", "set", self.bridge_end(k), "master", "br0")
                ip("-n", self.bridge_ns, "link", "set", self.bridge_end(k), "up")
        except BaseException:
            self.__exit__()
            raise
        return self

    def cut(self, k: int) -> None:
        ip("-n", self.bridge_ns, "link", "set", self.bridge_end(k), "down")

    def heal(self, k: int) -> None:
        ip("-n", self.bridge_ns, "link", "set", self.bridge_end(k), "up")

    def __exit__(self, *exc) -> None:
        # Deleting a namespace deletes its interfaces; a veth goes with either end.
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True, timeout=30)
        self.made.clear()


def namespaces_left(tag: str) -> list[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30).stdout
    return [line.split()[0] for line in listed.splitlines() if line.startswith(f"hmsc{tag}")]
