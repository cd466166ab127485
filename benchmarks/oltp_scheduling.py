"""Scheduling benchmark: free-slot search, booking of variable lengths, cancel with a
waitlist offer and reschedule, timed per call at 1, 2, 4 and 8 clients, and a storm of
16 clients booking overlapping variable-length requests ending with a scan that finds
no overlap. Runs on the `hms seed` dataset (its doctors have availability templates);
`benchmarks/oltp.py` runs it after its own workloads. Everything it books is deleted.

    python benchmarks/oltp_scheduling.py --scale 0.1
    python benchmarks/oltp_scheduling.py --scale 1.0 --seconds 20

Baseline in the same run: the original 30-minute booking (doctor_slot_is_free, then
book_appointment) on doctors without templates is what oltp.py's "booking" measures;
here "booking (30 min, book_appointment)" repeats it on the templated doctors, through
the same claim triggers, so the cost of the new keys shows beside the new routines.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from datetime import datetime, timedelta

import harness  # first: puts this checkout's code on sys.path
import oltp
import pymysql
from harness import session

REASON = "oltp-sched"
TARGET_P99_MS = {"free slots": 5.0, "free slots (department)": 5.0, "booking (variable)": 5.0, "booking (30 min, book_appointment)": 5.0,
                 "cancel + offer": None, "reschedule": None}
CLIENTS = (1, 2, 4, 8)
WAIT_DOCTORS = 40
WAIT_DAYS = 300
WAIT_ENTRIES = 100          # per doctor: each cancellation's offer takes one


def weekday_slot(rng, first_day, days: int = 300) -> datetime:
    """A 30-minute slot start in the templates (weekdays 08:00-16:30) after the dataset's last day."""
    while True:
        day = first_day + timedelta(days=rng.randrange(days))
        if day.weekday() < 5:
            return datetime(day.year, day.month, day.day, 8) + timedelta(minutes=30 * rng.randrange(16))


def book(cur, patient, doctor, starts, minutes) -> tuple[str, int | None]:
    try:
        cur.execute("CALL book_slot(%s, %s, %s, %s, NULL, %s, @sched_id)", (patient, doctor, starts, minutes, REASON))
        oltp.drain(cur)
    except pymysql.err.MySQLError as exc:
        text = str(exc)
        if "already booked" in text or "heavy demand" in text:
            return "taken", None
        if "already has an appointment" in text:
            return "patient busy", None
        if "no slot" in text or "on leave" in text or "public holiday" in text:
            return "unavailable", None
        raise
    cur.execute("SELECT @sched_id")
    return "booked", cur.fetchone()[0]


def op_free_slots(cur, rng, inputs) -> str:
    day = inputs["first_free_day"] + timedelta(days=rng.randrange(300))
    cur.execute("CALL find_free_slots(%s, NULL, %s, %s, 10)", (rng.choice(inputs["doctors"]), day,
                                                                day + timedelta(days=7)))
    return "found" if oltp.drain(cur) else "none"


def op_free_slots_department(cur, rng, inputs) -> str:
    day = inputs["first_free_day"] + timedelta(days=rng.randrange(300))
    cur.execute("CALL find_free_slots(NULL, %s, %s, %s, 10)", (rng.choice(inputs["departments"]), day,
                                                                day + timedelta(days=7)))
    return "found" if oltp.drain(cur) else "none"


def op_variable_booking(cur, rng, inputs) -> str:
    outcome, appointment = book(cur, rng.choice(inputs["patients"]), rng.choice(inputs["doctors"]),
                                weekday_slot(rng, inputs["first_free_day"]), rng.choice((30, 60, 90)))
    if appointment:
        inputs["booked"].append(appointment)
    return outcome


def op_legacy_booking(cur, rng, inputs) -> str:
    outcome, appointment = oltp.try_booking(cur, rng.choice(inputs["patients"]), rng.choice(inputs["doctors"]),
                                            weekday_slot(rng, inputs["first_free_day"]), REASON)
    if appointment:
        inputs["booked"].append(appointment)
    return outcome


def _booked_one(cur, rng, inputs) -> int | None:
    for _ in range(20):
        _, appointment = book(cur, rng.choice(inputs["patients"]), rng.choice(inputs["wait_doctors"]),
                              weekday_slot(rng, inputs["first_free_day"], WAIT_DAYS), 30)
        if appointment:
            inputs["booked"].append(appointment)
            return appointment
    return None


def op_cancel(cur, rng, inputs) -> str:
    """Book (untimed would be better; the harness times the whole op), then cancel: the offer is made inside."""
    appointment = _booked_one(cur, rng, inputs)
    if appointment is None:
        return "no slot"
    started = time.perf_counter()
    cur.execute("CALL cancel_appointment(%s, 'bench')", (appointment,))
    oltp.drain(cur)
    inputs["timed"] = time.perf_counter() - started
    return "cancelled"


def op_reschedule(cur, rng, inputs) -> str:
    appointment = _booked_one(cur, rng, inputs)
    if appointment is None:
        return "no slot"
    started = time.perf_counter()
    try:
        cur.execute("CALL reschedule_appointment(%s, %s, NULL, 'bench')",
                    (appointment, weekday_slot(rng, inputs["first_free_day"], WAIT_DAYS)))
        oltp.drain(cur)
        outcome = "moved"
    except pymysql.err.MySQLError as exc:
        if "nothing was changed" not in str(exc) and "already has an appointment" not in str(exc) \
                and "no slot" not in str(exc):
            raise
        outcome = "refused"
    inputs["timed"] = time.perf_counter() - started
    return outcome


WORKLOADS = {"free slots": op_free_slots, "free slots (department)": op_free_slots_department, "booking (variable)": op_variable_booking,
             "booking (30 min, book_appointment)": op_legacy_booking, "cancel + offer": op_cancel,
             "reschedule": op_reschedule}


def storm_worker(info, doctor, day, patients, attempts, start_at, seed, out) -> None:
    rng = random.Random(seed)
    counts = {"booked": 0, "taken": 0, "patient busy": 0, "unavailable": 0, "cancelled": 0, "errors": 0}
    booked = []
    with session(info) as conn, conn.cursor() as cur:
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(attempts):
            starts = datetime(day.year, day.month, day.day, 9) + timedelta(minutes=30 * rng.randrange(6))
            try:
                outcome, appointment = book(cur, rng.choice(patients), doctor, starts, rng.choice((30, 60, 90)))
                counts[outcome] += 1
                if appointment:
                    booked.append(appointment)
                    if rng.random() < 0.5:
                        cur.execute("CALL cancel_appointment(%s, 'storm')", (appointment,))
                        oltp.drain(cur)
                        counts["cancelled"] += 1
            except pymysql.err.MySQLError as exc:   # counted, never left to hang the parent
                counts["errors"] += 1
                counts.setdefault("first error", f"{exc.args[0]}: {str(exc.args[1])[:80]}")
    out.put((counts, booked))


# Each Scheduled appointment that starts before an earlier-starting one of the same doctor and
# seat (or patient) has ended: one sorted pass with a running maximum of the earlier ends, so
# the check stays a scan of the Scheduled rows at scale 1.0 (a self-join there ran for hours).
OVERLAP_SCAN = (
    "SELECT COUNT(*) FROM (SELECT starts_at, MAX(starts_at + INTERVAL duration_minutes MINUTE) OVER ("
    "PARTITION BY doctor_id, seat ORDER BY starts_at, appointment_id "
    "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end "
    "FROM appointment WHERE status = 'Scheduled') AS s WHERE s.earlier_end > s.starts_at")
PATIENT_SCAN = OVERLAP_SCAN.replace("PARTITION BY doctor_id, seat", "PARTITION BY patient_id")


def storm(info, inputs, clients: int, attempts: int) -> dict:
    day = inputs["first_free_day"] + timedelta(days=320)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    doctor = inputs["doctors"][0]
    out = mp.Queue()
    start_at = time.time() + 1.0
    procs = [mp.Process(target=storm_worker, args=(info, doctor, day, inputs["patients"], attempts, start_at, 99 + i,
                                                   out)) for i in range(clients)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    totals = {k: sum(r[0][k] for r in results) for k in results[0][0] if k != "first error"}
    errors = [r[0]["first error"] for r in results if "first error" in r[0]]
    booked = [a for r in results for a in r[1]]
    with session(info) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        cur.execute(OVERLAP_SCAN)
        doctor_overlaps = cur.fetchone()[0]
        cur.execute(PATIENT_SCAN)
        patient_overlaps = cur.fetchone()[0]
        scan_seconds = time.perf_counter() - started
    return {"clients": clients, "attempts": clients * attempts, **totals, "doctor_overlaps": doctor_overlaps,
            "patient_overlaps": patient_overlaps, "scan_seconds": scan_seconds, "booked_ids": booked,
            "first_errors": errors[:3]}


def prepare(info, inputs, rng) -> list[int]:
    """Waitlist entries for a few doctors over the benchmark's window, so cancellations make offers."""
    entries = []
    first = inputs["first_free_day"]
    with session(info) as conn, conn.cursor() as cur:
        for doctor in inputs["wait_doctors"]:
            for _ in range(WAIT_ENTRIES):
                cur.execute("CALL waitlist_join(%s, %s, NULL, %s, %s, 30, @sched_w)",
                            (rng.choice(inputs["patients"]), doctor, first, first + timedelta(days=WAIT_DAYS + 1)))
                cur.execute("SELECT @sched_w")
                entries.append(cur.fetchone()[0])
    return entries


def clean(info, booked: list[int], entries: list[int]) -> None:
    with session(info) as conn, conn.cursor() as cur:
        for i in range(0, len(entries), 1000):
            chunk = entries[i:i + 1000]
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"DELETE FROM waitlist_offer WHERE waitlist_id IN ({marks})", chunk)
            cur.execute(f"DELETE FROM waitlist_entry WHERE waitlist_id IN ({marks})", chunk)
        cur.execute("DELETE FROM waitlist_offer WHERE appointment_id IN (SELECT appointment_id FROM appointment "
                    "WHERE reason = %s)", (REASON,))
        for i in range(0, len(booked), 1000):
            chunk = booked[i:i + 1000]
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"DELETE FROM appointment_status_history WHERE appointment_id IN ({marks})", chunk)
            cur.execute(f"DELETE FROM appointment WHERE appointment_id IN ({marks}) AND reason = %s", (*chunk, REASON))


def run(info, inputs, seconds: float, clients_list=CLIENTS, storm_clients: int = 16, storm_attempts: int = 60,
        workloads=tuple(WORKLOADS)):
    """The scheduling workloads at each client count, then the storm; returns (phases, storm)."""
    rng = random.Random(16)
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT department_id FROM doctor ORDER BY department_id")
        departments = [d for (d,) in cur.fetchall()]
    # Cancel and reschedule book their own appointment first, with these doctors over WAIT_DAYS:
    # about 137,000 slots, so the phases at 2-8 clients still find one (with 5 doctors and 30
    # days, 1,600 slots, the 1-client phases used them up and the rest timed refusals).
    inputs = dict(inputs, wait_doctors=inputs["doctors"][1:1 + WAIT_DOCTORS], departments=departments)
    entries = prepare(info, inputs, rng)
    phases, booked = [], []
    oltp.WORKLOADS.update(WORKLOADS)
    oltp.TARGET_P99_MS.update(TARGET_P99_MS)
    try:
        for clients in clients_list:
            for name in workloads:
                print(f"  {name}, {clients} client(s) ...", flush=True)
                phase = oltp.run_phase(info, name, inputs, clients, seconds)
                booked += phase.pop("booked")
                phases.append(phase)
        print(f"  scheduling storm, {storm_clients} clients ...", flush=True)
        result = storm(info, inputs, storm_clients, storm_attempts)
        booked += result.pop("booked_ids")
    finally:
        clean(info, booked, entries)
    return phases, result


def report(phases, result) -> None:
    rows = []
    for p in phases:
        target = TARGET_P99_MS[p["workload"]]
        verdict = "" if target is None else (f"<= {target:g} " + ("ok" if p["p99_ms"] <= target else "MISSED"))
        cpu = p["cpu"]
        rows.append([p["workload"][:15], p["clients"], p["ops"], p["throughput"], p["p50_ms"], p["p95_ms"],
                     p["p99_ms"], verdict, cpu["client_cpu_ms_per_call"], cpu["machine_busy_ms_per_call"],
                     cpu["machine_busy_cores"], cpu.get("steal_share"),
                     ", ".join(f"{k} {v}" for k, v in sorted(p["outcomes"].items()))])
    harness.table(oltp.PHASE_COLUMNS, rows)
    print(oltp.PHASE_LEGEND)
    print(f"scheduling storm: {result['clients']} clients, {result['attempts']:,} variable-length requests "
          f"(30-90 min) on one doctor's morning: booked {result['booked']}, cancelled {result['cancelled']}, "
          f"refused as taken {result['taken']}, patient busy {result['patient busy']}, errors {result['errors']} "
          f"{result['first_errors']}")
    print(f"  scan of all Scheduled appointments: {result['doctor_overlaps']} doctor overlaps, "
          f"{result['patient_overlaps']} patient overlaps ({result['scan_seconds']:.1f} s)")


def main() -> None:
    parser = harness.arguments(__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per workload per phase")
    parser.add_argument("--storm-attempts", type=int, default=60, help="attempts per storm client")
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                        help="run only this workload (repeatable; default: all)")
    parser.add_argument("--clients", action="append", type=int, choices=CLIENTS,
                        help="run only at this many clients (repeatable; default: 1, 2, 4 and 8)")
    args = parser.parse_args()
    info = harness.loaded_database(args.scale, args.database)
    facts = harness.machine(info)
    print(f"scheduling benchmark on '{info.database}' at scale {args.scale:g}: {harness.describe(facts)}")
    inputs = oltp.sample_inputs(info, random.Random(42))
    phases, result = run(info, inputs, args.seconds, clients_list=tuple(args.clients or CLIENTS),
                         storm_attempts=args.storm_attempts, workloads=tuple(args.workload or WORKLOADS))
    report(phases, result)
    harness.write_results("oltp_scheduling", {"scale": args.scale, "seconds": args.seconds,
                                              "database": info.database, "phases": phases, "storm": result}, facts)
    if result["doctor_overlaps"] or result["patient_overlaps"]:
        raise SystemExit("Error: overlapping appointments after the storm. See the figures above.")


if __name__ == "__main__":
    main()
