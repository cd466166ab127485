"""Billing and pharmacy benchmark, called by benchmarks/oltp.py (or alone): p50/p95/p99 of invoice
generation from a completed visit, a payment and a dispense across lots at 1, 2, 4 and 8 clients,
each beside its baseline in the same run (the one-row write the model before issue 17 did), then
a dispense storm: 20 clients prescribing one drug in one department whose stock sits in 3 lots,
ending with the proof that every lot is its ledger's sum and nothing is negative.

Payments go to a pool of PAYMENT_BILLS open bills, and each payment phase starts from the same
bills with nothing paid (its payments are deleted afterwards): a bill then holds a few payments, as
a hospital's do. On 240 bills paid in every phase, a bill held 100-400 of them by the 4-client
phase, and every payment re-reads its bill's payments (the over-payment check, the status).

Everything it makes is removed afterwards: visits, bills and payments deleted, prescriptions
deleted (which returns their units to their lots), so stock levels are as they were.

    python benchmarks/oltp_billing.py --scale 0.1
    python benchmarks/oltp_billing.py --scale 1.0 --seconds 20
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time

import harness  # first: puts this checkout's code on sys.path
import pymysql
from harness import Column, ConnectionInfo, percentile, session

TARGET_P99_MS = {"invoice": 10.0, "payment": 5.0, "dispense": 5.0}
CLIENTS = (1, 2, 4, 8)
PAYMENT_BILLS = 4800   # about 10 payments a bill after a 20-second phase at 2,500 payments/s
BENCH = "oltp-billing-bench"
PRESCRIBE = ("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, duration_days, "
             "quantity) VALUES (%s, %s, '1 tablet', 'once daily', 1, %s)")


# -- the operations: (timed statement, untimed preparation or cleanup) -------------------------------------

def op_invoice(cur, item, made):
    visit, patient = item
    started = time.perf_counter()
    cur.execute("CALL create_invoice_for_visit(%s, @oltp_bill)", (visit,))
    elapsed = time.perf_counter() - started
    cur.execute("DELETE FROM billing WHERE bill_id = @oltp_bill")   # so the visit can be billed again
    return elapsed, "ok"


def op_invoice_baseline(cur, item, made):
    visit, patient = item
    started = time.perf_counter()
    cur.execute("INSERT INTO billing (patient_id, appointment_id, total_amount, bill_date, due_date) "
                "VALUES (%s, %s, 80.00, CURDATE(), CURDATE() + INTERVAL 30 DAY)", (patient, visit))
    elapsed = time.perf_counter() - started
    cur.execute("DELETE FROM billing WHERE bill_id = %s", (cur.lastrowid,))
    return elapsed, "ok"


def op_payment(cur, item, made):
    started = time.perf_counter()
    cur.execute("CALL record_payment(%s, 1.00, 'Card', %s, NULL, @oltp_payment)", (item, BENCH))
    return time.perf_counter() - started, "ok"


def op_payment_baseline(cur, item, made):
    started = time.perf_counter()
    cur.execute("UPDATE billing SET payment_method = 'Card' WHERE bill_id = %s", (item,))
    return time.perf_counter() - started, "ok"


def op_dispense(cur, item, made):
    record, medication, _ = item
    cur.execute("INSERT INTO prescription (record_id, prescribed_at, notes) VALUES (%s, NOW(), %s)", (record, BENCH))
    prescription = cur.lastrowid
    made.append(prescription)
    started = time.perf_counter()
    try:
        cur.execute(PRESCRIBE, (prescription, medication, 1))
        outcome = "ok"
    except pymysql.err.OperationalError as exc:
        if "Not enough stock" not in str(exc):
            raise
        outcome = "short"
    return time.perf_counter() - started, outcome


def op_dispense_baseline(cur, item, made):
    record, medication, department = item
    started = time.perf_counter()
    cur.execute("UPDATE oltp_bench_stock SET stock_quantity = stock_quantity - 1 WHERE department_id = %s "
                "AND medication_id = %s AND stock_quantity > 0", (department, medication))
    return time.perf_counter() - started, "ok"


WORKLOADS = {"invoice": (op_invoice, op_invoice_baseline), "payment": (op_payment, op_payment_baseline),
             "dispense": (op_dispense, op_dispense_baseline)}


def worker(info, name, baseline, items, start_at, seconds, seed, out):
    try:
        _work(info, name, baseline, items, start_at, seconds, seed, out)
    except Exception as exc:   # reported to the parent, which would otherwise wait for ever
        out.put(exc)


def _work(info, name, baseline, items, start_at, seconds, seed, out):
    rng = random.Random(seed)
    op = WORKLOADS[name][1 if baseline else 0]
    latencies, outcomes, made = [], {}, []
    with session(info) as conn, conn.cursor() as cur:
        time.sleep(max(0.0, start_at - time.time()))
        deadline = start_at + seconds
        while time.time() < deadline:
            elapsed, outcome = op(cur, rng.choice(items), made)
            latencies.append(elapsed)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    out.put((latencies, outcomes, made))


def run_phase(info, name, baseline, items, clients, seconds) -> dict:
    """`clients` processes, each on its own slice of `items` (no two on one visit or bill)."""
    out = mp.Queue()
    start_at = time.time() + 1.0
    slices = [items[i::clients] for i in range(clients)]
    procs = [mp.Process(target=worker, args=(info, name, baseline, slices[i], start_at, seconds, 100 * clients + i,
                                             out)) for i in range(clients)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    for r in results:
        if isinstance(r, Exception):
            raise r
    latencies = sorted(x for r in results for x in r[0])
    outcomes: dict[str, int] = {}
    for r in results:
        for k, v in r[1].items():
            outcomes[k] = outcomes.get(k, 0) + v
    return {"workload": name + (" (baseline)" if baseline else ""), "clients": clients, "ops": len(latencies),
            "throughput": len(latencies) / seconds, "outcomes": outcomes, "made": [m for r in results for m in r[2]],
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "target": None if baseline else TARGET_P99_MS[name]}


# -- what the workloads work on --------------------------------------------------------------------------

def prepare(info, rng: random.Random, visits: int = 240) -> dict:
    """Completed visits without a bill, open bills, and (record, medication) pairs to dispense."""
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("SELECT MAX(record_id) FROM medical_record")
        max_record = cur.fetchone()[0]
        pairs = []
        while len(pairs) < 400:
            cur.execute("SELECT mr.record_id, mr.doctor_id, mr.patient_id, d.department_id FROM medical_record AS mr "
                        "JOIN doctor AS d ON d.doctor_id = mr.doctor_id WHERE mr.record_id >= %s "
                        "ORDER BY mr.record_id LIMIT 1", (rng.randint(1, max_record),))
            record, doctor, patient, department = cur.fetchone()
            cur.execute("SELECT medication_id FROM department_medication WHERE department_id = %s "
                        "AND stock_quantity > 200 ORDER BY medication_id LIMIT 1 OFFSET %s", (department, rng.randrange(20)))
            row = cur.fetchone()
            if row:
                pairs.append((record, row[0], doctor, patient, department))
        visit_ids, bills = [], []
        for i in range(visits):
            record, medication, doctor, patient, _ = pairs[i % len(pairs)]
            # A past slot no seeded visit uses: the year 2001, one minute apart.
            cur.execute("INSERT INTO appointment (patient_id, doctor_id, starts_at, status, reason) VALUES "
                        "(%s, %s, TIMESTAMP '2001-01-01 08:00:00' + INTERVAL %s MINUTE, 'Completed', %s)",
                        (patient, doctor, i, BENCH))
            visit = cur.lastrowid
            cur.execute("INSERT INTO medical_record (patient_id, doctor_id, appointment_id, visit_date, diagnosis, "
                        "icd10_code, treatment) VALUES (%s, %s, %s, '2001-01-01', 'Essential hypertension', 'I10', "
                        "'Rest')", (patient, doctor, visit))
            cur.execute("INSERT INTO prescription (record_id, prescribed_at, notes) VALUES (%s, NOW(), %s)",
                        (cur.lastrowid, BENCH))
            cur.execute(PRESCRIBE, (cur.lastrowid, medication, 2))
            visit_ids.append((visit, patient))
        for i in range(PAYMENT_BILLS):
            patient = pairs[i % len(pairs)][3]
            cur.execute("INSERT INTO billing (patient_id, total_amount, bill_date, due_date) VALUES "
                        "(%s, 0, CURDATE(), CURDATE() + INTERVAL 30 DAY)", (patient,))
            bills.append(cur.lastrowid)
            cur.execute("INSERT INTO invoice_line (bill_id, description, unit_price) VALUES (%s, %s, 1000000)",
                        (bills[-1], BENCH))
        # The baseline's stock: one number per department and medication, as before lots (the old trigger's work).
        cur.execute("CREATE TABLE oltp_bench_stock (PRIMARY KEY (department_id, medication_id)) "
                    "AS SELECT department_id, medication_id, stock_quantity FROM department_medication")
    return {"visits": visit_ids, "bills": bills, "pairs": [(r, m, d) for r, m, _, _, d in pairs]}


def delete_payments(cur, bills: list[int]) -> None:
    """Delete the payments of `bills` and reopen them (Pending); admin, holding the routine ticket
    on purpose (trg_payment_no_delete)."""
    marks = ", ".join(["%s"] * len(bills))
    cur.execute("CREATE TEMPORARY TABLE hms_routine_ticket (held TINYINT) ENGINE=MEMORY")
    cur.execute(f"DELETE FROM payment WHERE bill_id IN ({marks})", bills)
    cur.execute("DROP TEMPORARY TABLE hms_routine_ticket")
    cur.execute(f"UPDATE billing SET payment_status = 'Pending', payment_method = NULL WHERE bill_id IN ({marks}) "
                "AND payment_status <> 'Pending'", bills)


def reopen_bills(info, bills: list[int]) -> int:
    """After a payment phase: the most payments one bill received, then its payments deleted."""
    with session(info) as conn, conn.cursor() as cur:
        marks = ", ".join(["%s"] * len(bills))
        cur.execute(f"SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM payment WHERE bill_id IN ({marks}) "
                    "GROUP BY bill_id) AS per_bill", bills)
        most = cur.fetchone()[0]
        delete_payments(cur, bills)
    return int(most)


def clean_up(info, inputs: dict, prescriptions: list[int]) -> None:
    """Remove everything the benchmark made (found by its marks, also a killed run's); deleting
    prescriptions gives their units back."""
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS oltp_bench_stock")
        cur.execute("SELECT prescription_id FROM prescription WHERE notes = %s", (BENCH,))
        prescriptions = sorted(set(prescriptions) | {r[0] for r in cur.fetchall()})
        for i in range(0, len(prescriptions), 500):
            chunk = prescriptions[i:i + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"DELETE FROM prescription_medication WHERE prescription_id IN ({marks})", chunk)
            cur.execute(f"DELETE FROM prescription WHERE prescription_id IN ({marks})", chunk)
        cur.execute("SELECT bill_id FROM invoice_line WHERE description = %s", (BENCH,))
        bills = sorted(set(inputs["bills"]) | {r[0] for r in cur.fetchall()}) or [0]
        delete_payments(cur, bills)
        marks = ", ".join(["%s"] * len(bills))
        cur.execute(f"DELETE FROM billing WHERE bill_id IN ({marks})", bills)
        cur.execute("SELECT appointment_id FROM appointment WHERE reason = %s", (BENCH,))
        visits = [r[0] for r in cur.fetchall()] or [0]
        marks = ", ".join(["%s"] * len(visits))
        cur.execute(f"DELETE FROM billing WHERE appointment_id IN ({marks})", visits)
        cur.execute(f"DELETE FROM medical_record WHERE appointment_id IN ({marks})", visits)
        cur.execute(f"DELETE FROM appointment WHERE appointment_id IN ({marks}) AND reason = %s", (*visits, BENCH))


# -- the storm ------------------------------------------------------------------------------------------

def storm_worker(info, record, medication, attempts, start_at, seed, out):
    try:
        _storm_work(info, record, medication, attempts, start_at, seed, out)
    except Exception as exc:
        out.put(exc)


def _storm_work(info, record, medication, attempts, start_at, seed, out):
    rng = random.Random(seed)
    counts, made = {"dispensed": 0, "units": 0, "refused": 0}, []
    with session(info) as conn, conn.cursor() as cur:
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(attempts):
            cur.execute("INSERT INTO prescription (record_id, prescribed_at, notes) VALUES (%s, NOW(), %s)",
                        (record, BENCH))
            made.append(cur.lastrowid)
            units = rng.randint(1, 3)
            try:
                cur.execute(PRESCRIBE, (cur.lastrowid, medication, units))
                counts["dispensed"] += 1
                counts["units"] += units
            except pymysql.err.OperationalError as exc:
                if "Not enough stock" not in str(exc):
                    raise
                counts["refused"] += 1
    out.put((counts, made))


def storm_pair(info) -> tuple:
    """The stock row with three unexpired lots holding the least: (department, medication, record, usable)."""
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("""SELECT l.department_id, l.medication_id, SUM(l.quantity) AS usable
                         FROM stock_lot AS l
                        WHERE l.quantity > 0 AND (l.expiry_date IS NULL OR l.expiry_date >= CURDATE())
                        GROUP BY l.department_id, l.medication_id HAVING COUNT(*) = 3
                        ORDER BY usable, l.department_id, l.medication_id LIMIT 1""")
        department, medication, usable = cur.fetchone()
        cur.execute("SELECT mr.record_id FROM medical_record AS mr JOIN doctor AS d ON d.doctor_id = mr.doctor_id "
                    "WHERE d.department_id = %s LIMIT 1", (department,))
        return department, medication, cur.fetchone()[0], int(usable)


def ledger_proof(info, department: int, medication: int) -> dict:
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("""SELECT COUNT(*) FROM stock_lot AS l
                         LEFT JOIN (SELECT lot_id, SUM(quantity) AS moved FROM stock_ledger GROUP BY lot_id) AS s
                           USING (lot_id)
                        WHERE l.department_id = %s AND l.medication_id = %s AND COALESCE(s.moved, 0) <> l.quantity""",
                    (department, medication))
        lots_off = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM stock_lot WHERE quantity < 0")
        negative = cur.fetchone()[0]
        cur.execute("SELECT dm.stock_quantity, (SELECT SUM(quantity) FROM stock_lot WHERE department_id = %s "
                    "AND medication_id = %s) FROM department_medication AS dm WHERE department_id = %s "
                    "AND medication_id = %s", (department, medication, department, medication))
        on_hand, lots = cur.fetchone()
    return {"lots_differing_from_ledger": lots_off, "negative_lots": negative, "on_hand": on_hand,
            "sum_of_lots": int(lots)}


def storm(info, clients: int = 20) -> dict:
    department, medication, record, usable = storm_pair(info)
    attempts = max(5, usable // clients)   # about twice what the three lots hold
    out = mp.Queue()
    start_at = time.time() + 1.0
    procs = [mp.Process(target=storm_worker, args=(info, record, medication, attempts, start_at, 7 + i, out))
             for i in range(clients)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    for r in results:
        if isinstance(r, Exception):
            raise r
    totals = {k: sum(r[0][k] for r in results) for k in results[0][0]}
    proof = ledger_proof(info, department, medication)
    return {"clients": clients, "department": department, "medication": medication, "usable_before": usable,
            **totals, **proof, "made": [m for r in results for m in r[1]]}


COLUMNS = [Column("workload", 20, left=True), Column("clients", 7), Column("ops", 8, ","), Column("ops/s", 8, ".0f"),
           Column("p50 ms", 8, ".2f"), Column("p95 ms", 8, ".2f"), Column("p99 ms", 8, ".2f"),
           Column("target p99", 12), Column("outcomes", left=True, gap=2)]


def report(phases: list[dict], storm_result: dict) -> None:
    rows = []
    for p in phases:
        target = p["target"]
        verdict = "" if target is None else f"<= {target:g} " + ("ok" if p["p99_ms"] <= target else "MISSED")
        rows.append([p["workload"], p["clients"], p["ops"], p["throughput"], p["p50_ms"], p["p95_ms"], p["p99_ms"],
                     verdict, ", ".join(f"{k} {v}" for k, v in sorted(p["outcomes"].items()))])
    harness.table(COLUMNS, rows)
    s = storm_result
    print(f"dispense storm: {s['clients']} clients on medication {s['medication']} in department {s['department']}, "
          f"{s['usable_before']} usable units in 3 lots: {s['dispensed']} prescriptions dispensed "
          f"({s['units']} units), {s['refused']} refused as short; lots differing from their ledger: "
          f"{s['lots_differing_from_ledger']}, negative lots: {s['negative_lots']}, on hand {s['on_hand']} = "
          f"sum of lots {s['sum_of_lots']}")


def run(info: ConnectionInfo, seconds: float) -> dict:
    """Run every phase and the storm, clean up, print; return the figures."""
    inputs = prepare(info, random.Random(42))
    items = {"invoice": inputs["visits"], "payment": inputs["bills"], "dispense": inputs["pairs"]}
    phases, prescriptions, storm_result = [], [], None
    try:
        for name in WORKLOADS:
            for clients in CLIENTS:
                for baseline in (True, False):
                    print(f"  {name}{' baseline' if baseline else ''}, {clients} client(s) ...", flush=True)
                    phase = run_phase(info, name, baseline, items[name], clients, seconds)
                    if name == "payment" and not baseline:
                        phase["outcomes"]["most on one bill"] = reopen_bills(info, inputs["bills"])
                    prescriptions += phase.pop("made")
                    phases.append(phase)
        print("  dispense storm, 20 clients ...", flush=True)
        storm_result = storm(info)
        prescriptions += storm_result.pop("made")
    finally:
        clean_up(info, inputs, prescriptions)
    report(phases, storm_result)
    return {"phases": phases, "storm": storm_result}


def main() -> None:
    parser = harness.arguments(__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per workload per phase")
    args = parser.parse_args()
    info = harness.loaded_database(args.scale, args.database)
    facts = harness.machine(info)
    print(f"billing and pharmacy benchmark on '{info.database}' at scale {args.scale:g}: {harness.describe(facts)}")
    figures = run(info, args.seconds)
    harness.write_results("oltp_billing", {"scale": args.scale, "seconds": args.seconds, **figures}, facts)
    s = figures["storm"]
    if s["lots_differing_from_ledger"] or s["negative_lots"] or s["on_hand"] != s["sum_of_lots"]:
        raise SystemExit("Error: the storm left a lot differing from its ledger. See the figures above.")


if __name__ == "__main__":
    main()
