"""Lookup benchmark: the read paths and booking a hospital runs all day, timed per call.

From one client and then from N concurrent clients (processes, each with its own
PyMySQL connection): p50/p95/p99 latency and throughput of the complete patient
record, patient search by name prefix, a doctor's day schedule, and booking through
the conflict check. Then a booking storm: many clients, many attempts at the same
few slots, cancelling some of what they win, ending with the proof that no doctor
is double-booked. Appointments the benchmark books are deleted afterwards.

    python benchmarks/oltp.py --scale 0.01
    python benchmarks/oltp.py --scale 1.0 --seconds 20
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import harness  # first: puts this checkout's code on sys.path
import oltp_billing
import pymysql
from harness import Column, ConnectionInfo, percentile, session

TARGET_P99_MS = {"patient record": 10.0, "name search": 10.0, "day schedule": None, "booking": 5.0}
BENCH_REASON = "oltp-bench"
STORM_REASON = "oltp-storm"


def drain(cur) -> int:
    """Read every result set of the last statement; return the rows read."""
    rows = 0
    while True:
        if cur.description:
            rows += len(cur.fetchall())
        if not cur.nextset():
            return rows


def op_record(cur, rng, inputs) -> str:
    cur.execute("CALL get_patient_record(%s)", (rng.choice(inputs["patients"]),))
    drain(cur)
    return "ok"


def op_search(cur, rng, inputs) -> str:
    cur.execute("CALL search_patients(%s, 20)", (rng.choice(inputs["prefixes"]),))
    drain(cur)
    return "ok"


def op_schedule(cur, rng, inputs) -> str:
    cur.execute("CALL get_doctor_day_schedule(%s, %s)", rng.choice(inputs["doctor_days"]))
    drain(cur)
    return "ok"


def try_booking(cur, patient: int, doctor: int, slot: datetime, reason: str) -> tuple[str, int | None]:
    """Check the slot, then book it: ('booked', id), ('taken', None) or ('lost race', None)."""
    cur.execute("SELECT doctor_slot_is_free(%s, %s)", (doctor, slot))
    if not cur.fetchone()[0]:
        return "taken", None
    try:
        cur.execute("CALL book_appointment(%s, %s, %s, NULL, %s, @oltp_id)", (patient, doctor, slot, reason))
        drain(cur)
    except pymysql.err.OperationalError as exc:
        if "already booked" in str(exc):
            return "lost race", None
        if "has no slot" in str(exc) or "on leave" in str(exc) or "public holiday" in str(exc):
            return "unavailable", None   # outside the doctor's availability (sql/schema/V014-V016)
        if "already has an appointment" in str(exc):
            return "patient busy", None  # the patient's own overlap (appointment_patient_claim)
        raise
    cur.execute("SELECT @oltp_id")
    return "booked", cur.fetchone()[0]


def op_booking(cur, rng, inputs) -> str:
    day = inputs["first_free_day"] + timedelta(days=rng.randrange(365))
    slot = datetime(day.year, day.month, day.day, 8) + timedelta(minutes=30 * rng.randrange(20))
    outcome, appointment = try_booking(cur, rng.choice(inputs["patients"]), rng.choice(inputs["doctors"]),
                                       slot, BENCH_REASON)
    if appointment:
        inputs["booked"].append(appointment)
    return outcome


WORKLOADS = {"patient record": op_record, "name search": op_search, "day schedule": op_schedule,
             "booking": op_booking}


def worker(info: ConnectionInfo, name: str, inputs: dict, start_at: float, seconds: float, seed: int, out) -> None:
    """Run one workload from one connection until the deadline; put (latencies, outcomes, booked).

    An op that times only its own critical call sets inputs["timed"] (seconds), which is
    reported instead of the whole op's time. A server error is counted as an outcome, never
    left to end the process (the parent would wait for its figures for ever)."""
    rng = random.Random(seed)
    inputs = dict(inputs, booked=[])
    op = WORKLOADS[name]
    latencies, outcomes = [], {}
    with session(info) as conn, conn.cursor() as cur:
        time.sleep(max(0.0, start_at - time.time()))
        deadline = start_at + seconds
        cpu_started = time.process_time()
        while time.time() < deadline:
            inputs.pop("timed", None)
            started = time.perf_counter()
            try:
                outcome = op(cur, rng, inputs)
            except pymysql.err.MySQLError as exc:
                outcome = f"error {exc.args[0]}: {str(exc.args[1])[:60]}"
            latencies.append(inputs.get("timed", time.perf_counter() - started))
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        cpu = time.process_time() - cpu_started
    out.put((latencies, outcomes, inputs["booked"], cpu))


def cpu_seconds() -> tuple[float, float] | None:
    """(busy, stolen): CPU seconds all cores have spent busy since boot, and the seconds the
    hypervisor ran something else while this machine wanted a core (steal), from Linux
    /proc/stat; None elsewhere. Steal is not counted as busy: it is no work of ours, but it
    is time a call waited, so a phase reports it beside its latencies."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0
    return (sum(fields[:8]) - idle - steal) / tick, steal / tick


def run_phase(info: ConnectionInfo, name: str, inputs: dict, clients: int, seconds: float) -> dict:
    """Run `name` from `clients` processes at once for `seconds`; return its figures."""
    out = mp.Queue()
    start_at = time.time() + 1.0
    procs = [mp.Process(target=worker, args=(info, name, inputs, start_at, seconds, 1000 * clients + i, out))
             for i in range(clients)]
    before = cpu_seconds()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    after = cpu_seconds()
    busy, stolen = (None, None) if before is None or after is None else \
        (after[0] - before[0], after[1] - before[1])
    for p in procs:
        p.join()
    latencies = sorted(x for r in results for x in r[0])
    outcomes: dict[str, int] = {}
    for r in results:
        for k, v in r[1].items():
            outcomes[k] = outcomes.get(k, 0) + v
    booked = [a for r in results for a in r[2]]
    # CPU per call: the clients' own (their Python and PyMySQL work) and the whole
    # machine's busy time over the phase (clients + server + anything else running).
    client_cpu = sum(r[3] for r in results)
    ops = max(1, len(latencies))
    cpu = {"client_cpu_ms_per_call": client_cpu / ops * 1000,
           "machine_busy_ms_per_call": None if busy is None else busy / ops * 1000,
           "machine_busy_cores": None if busy is None else busy / (seconds + 1.0),
           "steal_share": None if stolen is None else stolen / ((os.cpu_count() or 1) * (seconds + 1.0))}
    return {"workload": name, "clients": clients, "ops": len(latencies), "seconds": seconds, "cpu": cpu,
            "throughput": len(latencies) / seconds, "outcomes": outcomes, "booked": booked,
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "max_ms": latencies[-1] * 1000 if latencies else None}


def storm_worker(info: ConnectionInfo, slots: list, patients: list, attempts: int, start_at: float,
                 seed: int, out) -> None:
    rng = random.Random(seed)
    counts = {"booked": 0, "taken": 0, "lost race": 0, "cancelled": 0}
    booked = []
    with session(info) as conn, conn.cursor() as cur:
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(attempts):
            doctor, slot = rng.choice(slots)
            outcome, appointment = try_booking(cur, rng.choice(patients), doctor, slot, STORM_REASON)
            counts[outcome] += 1
            if appointment:
                booked.append(appointment)
                if rng.random() < 0.7:        # free the slot again, so the race goes on
                    cur.execute("UPDATE appointment SET status = 'Cancelled' WHERE appointment_id = %s",
                                (appointment,))
                    counts["cancelled"] += 1
    out.put((counts, booked))


def booking_storm(info: ConnectionInfo, inputs: dict, clients: int, slot_count: int, attempts: int) -> dict:
    """Many clients fight over a few slots; return the counts and the double-booking proof."""
    day = inputs["first_free_day"] + timedelta(days=400)
    doctor = inputs["doctors"][0]
    slots = [(doctor, datetime(day.year, day.month, day.day, 9) + timedelta(minutes=30 * i))
             for i in range(slot_count)]
    out = mp.Queue()
    start_at = time.time() + 1.0
    procs = [mp.Process(target=storm_worker, args=(info, slots, inputs["patients"], attempts, start_at, 7 + i, out))
             for i in range(clients)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    totals = {k: sum(r[0][k] for r in results) for k in results[0][0]}
    booked = [a for r in results for a in r[1]]
    with session(info) as conn, conn.cursor() as cur:
        active = {}
        for d, slot in slots:
            cur.execute("SELECT COUNT(*) FROM appointment WHERE doctor_id = %s AND starts_at = %s "
                        "AND status <> 'Cancelled'", (d, slot))
            active[slot.isoformat(sep=" ")] = cur.fetchone()[0]
        # The whole table: any doctor holding two active appointments at one time.
        cur.execute("SELECT COUNT(*) FROM (SELECT doctor_id, starts_at FROM appointment "
                    "WHERE status <> 'Cancelled' GROUP BY doctor_id, starts_at HAVING COUNT(*) > 1) AS d")
        doubles_anywhere = cur.fetchone()[0]
    return {"clients": clients, "slots": slot_count, "attempts": clients * attempts, **totals,
            "active_per_slot": active, "double_bookings_in_storm": sum(max(0, n - 1) for n in active.values()),
            "double_bookings_anywhere": doubles_anywhere,
            "bookings_accounted_for": totals["booked"] - totals["cancelled"] == sum(active.values()),
            "booked_ids": booked}


def sample_inputs(info: ConnectionInfo, rng: random.Random) -> dict:
    """Real ids, name prefixes and doctor days to look up, drawn from the loaded data."""
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("SELECT MIN(patient_id), MAX(patient_id) FROM patient")
        low, high = cur.fetchone()
        patients = []
        for _ in range(2000):
            cur.execute("SELECT patient_id, last_name FROM patient WHERE patient_id >= %s ORDER BY patient_id "
                        "LIMIT 1", (rng.randint(low, high),))
            patients.append(cur.fetchone())
        cur.execute("SELECT doctor_id FROM doctor")
        doctors = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT MIN(starts_at), MAX(starts_at), MAX(appointment_id) FROM appointment")
        first, last, max_appointment = cur.fetchone()
        doctor_days = []
        for _ in range(1000):
            cur.execute("SELECT doctor_id, DATE(starts_at) FROM appointment WHERE appointment_id >= %s "
                        "ORDER BY appointment_id LIMIT 1", (rng.randint(1, max_appointment),))
            doctor_days.append(cur.fetchone())
    # Booking goes past the dataset's last appointment, so most attempts find a free slot.
    first_free_day = max(date.today(), last.date()) + timedelta(days=1)
    return {"patients": [p for p, _ in patients], "prefixes": [name[:3] for _, name in patients],
            "doctors": doctors, "doctor_days": doctor_days, "first_free_day": first_free_day}


def delete_booked(info: ConnectionInfo, ids: list[int]) -> None:
    """Delete the appointments the benchmark made, leaving the dataset as it was."""
    with session(info) as conn, conn.cursor() as cur:
        for i in range(0, len(ids), 1000):
            chunk = ids[i:i + 1000]
            cur.execute(f"DELETE FROM appointment WHERE appointment_id IN ({', '.join(['%s'] * len(chunk))}) "
                        "AND reason IN (%s, %s)", (*chunk, BENCH_REASON, STORM_REASON))


PHASE_COLUMNS = [Column("workload", 15, left=True), Column("clients", 7), Column("ops", 8, ","),
                 Column("ops/s", 8, ".0f"), Column("p50 ms", 8, ".2f"), Column("p95 ms", 8, ".2f"),
                 Column("p99 ms", 8, ".2f"), Column("target p99", 10), Column("cli cpu", 8, ".3f"),
                 Column("all cpu", 8, ".3f"), Column("cores", 6, ".2f"), Column("steal", 6, ".1%"),
                 Column("outcomes", left=True, gap=2)]


PHASE_LEGEND = ("cli cpu / all cpu: CPU ms per call spent in the client processes / by the whole machine "
                "(clients + server); cores: how many cores were busy on average over the phase; steal: the "
                "share of the cores' time the hypervisor gave to other guests while this one wanted it")


def report(phases: list[dict], storm: dict) -> None:
    print()
    rows = []
    for p in phases:
        target = TARGET_P99_MS[p["workload"]]
        verdict = "" if target is None else (f"<= {target:g} " + ("ok" if p["p99_ms"] <= target else "MISSED"))
        cpu = p["cpu"]
        rows.append([p["workload"], p["clients"], p["ops"], p["throughput"], p["p50_ms"], p["p95_ms"],
                     p["p99_ms"], verdict, cpu["client_cpu_ms_per_call"], cpu["machine_busy_ms_per_call"],
                     cpu["machine_busy_cores"], cpu.get("steal_share"),
                     ", ".join(f"{k} {v}" for k, v in sorted(p["outcomes"].items()))])
    harness.table(PHASE_COLUMNS, rows)
    print(PHASE_LEGEND)
    print()
    print(f"booking storm: {storm['clients']} clients, {storm['attempts']:,} attempts at {storm['slots']} slots of one "
          f"doctor: booked {storm['booked']}, cancelled {storm['cancelled']}, refused as taken "
          f"{storm['taken']}, lost the race at the UNIQUE key {storm['lost race']}")
    print(f"  active appointments per slot: {list(storm['active_per_slot'].values())}; "
          f"double bookings in the storm: {storm['double_bookings_in_storm']}; "
          f"anywhere in the table: {storm['double_bookings_anywhere']}; "
          f"bookings - cancellations = active: {storm['bookings_accounted_for']}")


def main() -> None:
    parser = harness.arguments(__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per workload per phase")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in the second phase")
    parser.add_argument("--storm-clients", type=int, default=16)
    parser.add_argument("--storm-slots", type=int, default=4)
    parser.add_argument("--storm-attempts", type=int, default=100, help="attempts per storm client")
    parser.add_argument("--no-billing", action="store_true", help="skip the invoice, payment and dispense workloads")
    args = parser.parse_args()
    info = harness.loaded_database(args.scale, args.database)
    facts = harness.machine(info)
    print(f"lookup benchmark on '{info.database}' at scale {args.scale:g}: {harness.describe(facts)}")
    inputs = sample_inputs(info, random.Random(42))
    phases, booked = [], []
    try:
        for clients in (1, args.clients):
            for name in WORKLOADS:
                print(f"  {name}, {clients} client(s) ...", flush=True)
                phase = run_phase(info, name, inputs, clients, args.seconds)
                booked += phase.pop("booked")
                phases.append(phase)
        print(f"  booking storm, {args.storm_clients} clients ...", flush=True)
        storm = booking_storm(info, inputs, args.storm_clients, args.storm_slots, args.storm_attempts)
        booked += storm.pop("booked_ids")
    finally:
        delete_booked(info, booked)
    report(phases, storm)
    billing = None if args.no_billing else oltp_billing.run(info, args.seconds)   # invoices, payments, lots
    import oltp_scheduling  # free slots, variable bookings, cancel + offer, reschedule, the overlap storm
    sched_phases, sched_storm = oltp_scheduling.run(info, inputs, args.seconds)
    oltp_scheduling.report(sched_phases, sched_storm)
    harness.write_results("oltp", {"scale": args.scale, "seconds": args.seconds, "database": info.database,
                                   "phases": phases, "storm": storm, "billing": billing,
                                   "scheduling": sched_phases, "scheduling_storm": sched_storm}, facts)
    if sched_storm["doctor_overlaps"] or sched_storm["patient_overlaps"]:
        raise SystemExit("Error: overlapping appointments after the scheduling storm. See the figures above.")
    if storm["double_bookings_in_storm"] or storm["double_bookings_anywhere"] or not storm["bookings_accounted_for"]:
        raise SystemExit("Error: a doctor was double-booked. See the storm figures above.")


if __name__ == "__main__":
    main()
