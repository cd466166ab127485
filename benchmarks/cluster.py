"""Cluster benchmark: the booking path on one server and on a 3-node Galera cluster, side by side.

In one run, on servers this script makes and removes (each node and the plain server with
the same settings: 128M buffer pool, binary log on): bookings/s and p50/p99 of
hms.cluster.booking.book() on one plain server, on one node of a 3-node cluster, and spread
over all three; the certification conflict rate of a booking storm in which every node's
clients race for the same slots; and how long a killed node takes to rejoin by incremental
state transfer (IST) and, its data directory lost, by full state transfer (SST); and how
long `hms seed` takes on each.

Three nodes on one shared machine measure what the protocol costs (every commit certified
by all three, every write applied three times on the same cores), not what three machines
would carry.

    python benchmarks/cluster.py --scale 0.01
    python benchmarks/cluster.py --scale 0.01 --seconds 20 --clients 6
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import harness  # first: puts this checkout's code on sys.path
from harness import Column, ConnectionInfo, percentile, session

from hms.cluster import Cluster, free_loopback
from hms.cluster.booking import BookingConflict, SlotTaken, book
from hms.server import EmbeddedServer

DATABASE = "hms"
REASON = "cluster-bench"


def hms(home: Path, *args: str) -> None:
    """Run this checkout's CLI against the server(s) of `home`; exit with its last line on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    env.update(HMS_HOME=str(home), HMS_DATABASE=DATABASE)
    done = subprocess.run([sys.executable, str(harness.ROOT / "cli.py"), "--quiet", *args], capture_output=True,
                          text=True, env=env)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        harness.fail(f"`hms {' '.join(args)}` failed: {last[0]}", "Run it by hand in that home and fix what it says")


def untemplated(info: ConnectionInfo) -> None:
    """Take the seeded weekly templates away, on this benchmark's own throwaway servers.

    A doctor without a template takes one patient at a time at any half hour (issue 16), so
    the phases can book random half hours, as they did before templates, and still go through
    the claim triggers. The benchmark measures what the cluster costs the booking path, not
    how well the slots were chosen.
    """
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM doctor_availability")
        conn.commit()


def booking_inputs(info: ConnectionInfo) -> dict:
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("SELECT patient_id FROM patient ORDER BY patient_id LIMIT 2000")
        patients = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT doctor_id FROM doctor")
        doctors = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT MAX(starts_at) FROM appointment")
        last = cur.fetchone()[0]
    first_day = max(date.today(), last.date()) + timedelta(days=1)
    return {"patients": patients, "doctors": doctors, "first_day": first_day}


def slot_on(first_day: date, day: int, half_hour: int) -> datetime:
    d = first_day + timedelta(days=day)
    return datetime(d.year, d.month, d.day, 8) + timedelta(minutes=30 * half_hour)


def book_once(conn, patient: int, doctor: int, slot: datetime, counts: dict) -> int:
    """Book through the client path, count the outcome; return the attempts it took (0: gave up)."""
    try:
        made = book(conn, patient, doctor, slot, reason=REASON)
        counts["booked"] += 1
        return made.attempts
    except SlotTaken as taken:
        counts["taken"] += 1
        return taken.attempts
    except BookingConflict:
        counts["conflict"] += 1
        return 0


# --- the throughput phases: every client books free slots, in its own process ----------------------

def booking_worker(info: ConnectionInfo, inputs: dict, day_offset: int, start_at: float, seconds: float,
                   seed: int, out) -> None:
    rng = random.Random(seed)
    latencies, counts, attempts = [], {"booked": 0, "taken": 0, "conflict": 0}, 0
    with session(info) as conn:
        time.sleep(max(0.0, start_at - time.time()))
        deadline = start_at + seconds
        while time.time() < deadline:
            slot = slot_on(inputs["first_day"], day_offset + rng.randrange(600), rng.randrange(20))
            started = time.perf_counter()
            attempts += book_once(conn, rng.choice(inputs["patients"]), rng.choice(inputs["doctors"]), slot, counts)
            latencies.append(time.perf_counter() - started)
    out.put((latencies, counts, attempts))


def run_phase(label: str, infos: list[ConnectionInfo], inputs: dict, clients: int, seconds: float,
              day_offset: int) -> dict:
    """`clients` processes, assigned round-robin to `infos`, book for `seconds`; return the figures."""
    out = mp.Queue()
    start_at = time.time() + 1.0
    procs = [mp.Process(target=booking_worker, args=(infos[i % len(infos)], inputs, day_offset, start_at, seconds,
                                                     1000 + i, out)) for i in range(clients)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for r in results for x in r[0])
    counts = {k: sum(r[1][k] for r in results) for k in results[0][1]}
    attempts = sum(r[2] for r in results)
    calls = max(1, counts["booked"] + counts["taken"])
    return {"setup": label, "clients": clients, "nodes": len(infos), "seconds": seconds, **counts,
            "bookings_per_s": counts["booked"] / seconds, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "retries_per_call": (attempts - calls) / calls}


# --- the storm: clients on every node race for the same pairs, one at a time ------------------------

def storm_worker(info: ConnectionInfo, inputs: dict, pairs: list, start_at: float, seconds: float, seed: int,
                 out) -> None:
    rng = random.Random(seed)
    counts, attempts, position = {"booked": 0, "taken": 0, "conflict": 0}, 0, 0
    with session(info) as conn:
        time.sleep(max(0.0, start_at - time.time()))
        deadline = start_at + seconds
        while time.time() < deadline and position < len(pairs):
            doctor, slot = pairs[position]
            attempts += book_once(conn, rng.choice(inputs["patients"]), doctor, slot, counts)
            position += 1
    out.put((counts, attempts))


def wsrep_counters(cluster: Cluster) -> dict[str, int]:
    """Certification failures, brute-force aborts and local commits, summed over the nodes."""
    names = ("wsrep_local_cert_failures", "wsrep_local_bf_aborts", "wsrep_local_commits")
    total = dict.fromkeys(names, 0)
    for node in cluster.nodes:
        with session(node.connection_info(), database=None) as conn, conn.cursor() as cur:
            cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN (%s, %s, %s)", names)
            for name, value in cur.fetchall():
                total[name.lower()] += int(value)
    return total


def storm(cluster: Cluster, inputs: dict, clients_per_node: int, seconds: float, day_offset: int) -> dict:
    pairs = [(doctor, slot_on(inputs["first_day"], day_offset + day, k))
             for day in range(400) for k in range(20) for doctor in inputs["doctors"][:3]]
    infos = [n.connection_info().with_database(DATABASE) for n in cluster.nodes]
    before = wsrep_counters(cluster)
    out = mp.Queue()
    start_at = time.time() + 1.0
    procs = [mp.Process(target=storm_worker, args=(infos[i % len(infos)], inputs, pairs, start_at, seconds, 7 + i,
                                                   out)) for i in range(clients_per_node * len(infos))]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    after = wsrep_counters(cluster)
    counts = {k: sum(r[0][k] for r in results) for k in results[0][0]}
    attempts = sum(r[1] for r in results)
    failures = (after["wsrep_local_cert_failures"] - before["wsrep_local_cert_failures"]
                + after["wsrep_local_bf_aborts"] - before["wsrep_local_bf_aborts"])
    commits = after["wsrep_local_commits"] - before["wsrep_local_commits"]
    with session(infos[0]) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION wsrep_sync_wait = 1")
        cur.execute("SELECT COUNT(*) FROM (SELECT doctor_id, starts_at FROM appointment WHERE status <> 'Cancelled' "
                    "GROUP BY doctor_id, starts_at HAVING COUNT(*) > 1) AS d")
        doubles = cur.fetchone()[0]
    calls = counts["booked"] + counts["taken"] + counts["conflict"]
    return {"clients": len(procs), "seconds": seconds, **counts, "calls": calls,
            "client_retries": attempts - counts["booked"] - counts["taken"],
            "certification_failures": failures, "local_commits": commits,
            "conflicts_per_booking_tried": failures / max(1, calls),
            "conflicts_per_commit": failures / max(1, commits), "double_bookings": doubles}


# --- rejoining --------------------------------------------------------------------------------------

def rejoin_times(cluster: Cluster) -> dict:
    """Kill node 3 during writes and bring it back (IST); then lose its data and bring it back (SST)."""
    stop = threading.Event()
    writes = [0]

    def write() -> None:
        with session(cluster.nodes[0].connection_info().with_database(DATABASE)) as conn, conn.cursor() as cur:
            while not stop.is_set():
                cur.execute("UPDATE department SET location = location WHERE department_id = 1")
                writes[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        third = cluster.nodes[2]
        time.sleep(1)
        third.kill()
        time.sleep(5)
        ist = cluster.restart_node(3)
        third.stop()
        shutil.rmtree(third.datadir)       # a node replaced with an empty disk
        time.sleep(2)
        sst = cluster.restart_node(3)
    finally:
        stop.set()
        writer.join()
    return {"ist": {"method": ist.method, "seconds": ist.seconds},
            "sst": {"method": sst.method, "seconds": sst.seconds}, "writes_meanwhile": writes[0]}


# --- the run --------------------------------------------------------------------------------------

COLUMNS = [Column("setup", 32, left=True), Column("clients", 7), Column("booked", 8, ","),
           Column("bookings/s", 10, ".1f"), Column("p50 ms", 8, ".2f"), Column("p99 ms", 8, ".2f"),
           Column("retries/call", 12, ".4f"), Column("vs one server", 13, ".2f", "x")]


def main() -> None:
    parser = harness.arguments(__doc__, database=False)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=3, help="booking clients (processes) per phase")
    parser.add_argument("--storm-clients", type=int, default=2, help="storm clients per node")
    args = parser.parse_args()
    if os.geteuid() == 0 and not os.access("/tmp", os.X_OK):
        harness.fail("/tmp is not usable", "Run where /tmp is writable")
    work = Path(tempfile.mkdtemp(prefix="hms-cluster-bench-"))
    os.chmod(work, 0o711)   # the servers run as `mysql` and must reach their homes
    plain = EmbeddedServer(work / "plain", profile="test")
    cluster = None
    try:
        print(f"making one plain server and a 3-node cluster under {work}, each seeded at scale {args.scale:g} ...",
              flush=True)
        plain.start()
        cluster = Cluster.create(work / "cluster-home", free_loopback(3, start=5560))
        started = time.monotonic()
        cluster.start()
        start_seconds = time.monotonic() - started
        seed_seconds = {}
        for label, home in (("one plain server", work / "plain"), ("cluster, through node 1", work / "cluster-home")):
            hms(home, "db", "migrate")
            seeding = time.monotonic()
            hms(home, "seed", "--scale", f"{args.scale:g}")
            seed_seconds[label] = time.monotonic() - seeding
        plain_info = plain.connection_info().with_database(DATABASE)
        node_infos = [n.connection_info().with_database(DATABASE) for n in cluster.nodes]
        facts = harness.machine(node_infos[0])
        print(f"cluster benchmark at scale {args.scale:g}: {harness.describe(facts)}")
        for info in (plain_info, node_infos[0]):
            untemplated(info)
        inputs = booking_inputs(plain_info)
        phases = []
        for offset, (label, infos) in enumerate([("one plain server", [plain_info]),
                                                 ("cluster, every client on node 1", node_infos[:1]),
                                                 ("cluster, clients over 3 nodes", node_infos)]):
            print(f"  {label}, {args.clients} clients ...", flush=True)
            phases.append(run_phase(label, infos, inputs, args.clients, args.seconds, 1000 * (offset + 1)))
        print(f"  booking storm, {args.storm_clients} clients a node ...", flush=True)
        stormed = storm(cluster, inputs, args.storm_clients, args.seconds, 5000)
        print("  rejoining: node 3 killed (IST), then emptied (SST) ...", flush=True)
        rejoin = rejoin_times(cluster)
    finally:
        if cluster is not None:
            for node in cluster.nodes:
                try:
                    node.stop()
                except Exception:   # noqa: BLE001 - whatever happened, the process must go
                    node.kill()
        plain.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(phases, stormed, rejoin, start_seconds, seed_seconds)
    harness.write_results("cluster", {"scale": args.scale, "seconds": args.seconds, "clients": args.clients,
                                      "phases": phases, "storm": stormed, "rejoin": rejoin,
                                      "cluster_start_seconds": start_seconds, "seed_seconds": seed_seconds}, facts)
    if stormed["double_bookings"]:
        raise SystemExit("Error: a doctor was double-booked in the storm. See the figures above.")


def report(phases: list[dict], stormed: dict, rejoin: dict, start_seconds: float, seed_seconds: dict) -> None:
    print()
    base = phases[0]["bookings_per_s"]
    harness.table(COLUMNS, [[p["setup"], p["clients"], p["booked"], p["bookings_per_s"], p["p50_ms"], p["p99_ms"],
                             p["retries_per_call"], p["bookings_per_s"] / base if base else None] for p in phases])
    print()
    print(f"storm: {stormed['clients']} clients over 3 nodes racing for the same slots for {stormed['seconds']:g} s: "
          f"{stormed['calls']:,} bookings tried, {stormed['booked']:,} booked, {stormed['taken']:,} refused as taken, "
          f"{stormed['conflict']} gave up after the retry bound")
    print(f"  certification conflicts (cert failures + brute-force aborts, all nodes): "
          f"{stormed['certification_failures']:,} = {stormed['conflicts_per_booking_tried']:.1%} of the bookings tried, "
          f"{stormed['conflicts_per_commit']:.2f} per commit ({stormed['local_commits']:,} commits); retried by the "
          f"client path: {stormed['client_retries']:,} (the rest inside the procedure and by the server's "
          f"wsrep_retry_autocommit); double bookings: {stormed['double_bookings']}")
    print(f"rejoin of a killed node: {rejoin['ist']['method']} in {rejoin['ist']['seconds']:.1f} s; with its data "
          f"directory lost: {rejoin['sst']['method']} in {rejoin['sst']['seconds']:.1f} s "
          f"({rejoin['writes_meanwhile']:,} writes on node 1 meanwhile); cluster start (2 SSTs): {start_seconds:.1f} s")
    print("hms seed: " + "; ".join(f"{label} {seconds:.1f} s" for label, seconds in seed_seconds.items()))


if __name__ == "__main__":
    main()
