"""Backup and restore, side by side: hms backup vs plain mysqldump | mysql vs mydumper/myloader.

    python benchmarks/backup.py [--scale 0.1] [--runs 1] [--threads 2] [--keep]

    hms --database hms_bench_backup seed --scale 0.1
    python benchmarks/backup.py --seeded [--database hms_bench_backup] --runs 3

All three tools back up the same database and restore it into a new one, in one run
on one machine. With --seeded the database is used as `hms seed` left it (it must
hold rows; it is never dropped or filled). Without it, the database is filled at the
contract's row counts for --scale with plain INSERT ... SELECT (deterministic
synthetic values), and reused by later runs. Throughput is reported against the same yardstick for every tool:
MB of plain SQL (the size of mysqldump's output) and rows, per second.

Prints a table and writes benchmarks/results/backup-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hms import dialect as dialects  # noqa: E402
from hms.backup import create_backup, restore_backup  # noqa: E402
from hms.backup.contents import row_counts, table_stats  # noqa: E402
from hms.config import Settings  # noqa: E402
from hms.connection import connect  # noqa: E402
from hms.login import admin_login  # noqa: E402
from hms.optionfiles import defaults_file  # noqa: E402
from hms.errors import HmsError  # noqa: E402
from hms.migrations import Migrator  # noqa: E402

FULL = {"doctor": 3000, "nurse": 6000, "receptionist": 30, "patient": 3_000_000, "appointment": 6_000_000,
        "billing": 6_000_000, "medical_record": 5_000_000, "prescription": 4_000_000,
        "prescription_medication": 8_002_130}
FLOORS = {"doctor": 15, "nurse": 15}
FIXED = {"department": 15, "medication": 1000, "department_medication": 2043, "room": 200}


def counts_for(scale: float) -> dict[str, int]:
    """Row counts per table at `scale`, as the contract defines them."""
    counts = {t: max(FLOORS.get(t, 1), round(n * scale)) for t, n in FULL.items()}
    counts["prescription_medication"] = 2 * counts["prescription"]  # two medications per prescription here
    return {**FIXED, **counts}


def fill_sql(c: dict[str, int]) -> list[str]:
    """Statements that fill a migrated database to counts `c` from the numbers table `nums`."""
    d, p = c["doctor"], c["patient"]
    return [
        f"INSERT INTO department (name, location, phone) SELECT CONCAT('Department ', n), "
        f"CONCAT('Block ', CHAR(64 + n)), CONCAT('+1-555-01', n) FROM nums WHERE n <= {c['department']}",
        f"INSERT INTO receptionist (first_name, last_name, email, hire_date) SELECT CONCAT('Rita', n), 'Desk', "
        f"CONCAT('rc', n, '@example.org'), '2019-03-01' FROM nums WHERE n <= {c['receptionist']}",
        f"INSERT INTO doctor (first_name, last_name, specialization, department_id, email, license_number, "
        f"hire_date) SELECT CONCAT('Ada', n), 'Lovelace', 'General Medicine', 1 + MOD(n, 15), "
        f"CONCAT('dr', n, '@example.org'), CONCAT('L', n), '2015-01-01' + INTERVAL MOD(n, 3000) DAY "
        f"FROM nums WHERE n <= {d}",
        f"INSERT INTO nurse (first_name, last_name, department_id, shift, email, hire_date) SELECT "
        f"CONCAT('Florence', n), 'Nightingale', 1 + MOD(n, 15), ELT(1 + MOD(n, 3), 'Morning', 'Evening', 'Night'), "
        f"CONCAT('rn', n, '@example.org'), '2016-01-01' FROM nums WHERE n <= {c['nurse']}",
        f"INSERT INTO medication (name, form, strength, manufacturer, unit_price) SELECT CONCAT('Medication ', n), "
        f"ELT(1 + MOD(n, 8), 'Tablet', 'Capsule', 'Syrup', 'Injection', 'Ointment', 'Inhaler', 'Drops', 'Patch'), "
        f"CONCAT(MOD(n, 50) * 10 + 5, ' mg'), 'Acme', 0.5 + MOD(n, 200) / 4 FROM nums WHERE n <= {c['medication']}",
        f"INSERT INTO department_medication (department_id, medication_id, stock_quantity) SELECT "
        f"1 + MOD(n - 1, 15), 1 + FLOOR((n - 1) / 15), 1000000000 FROM nums WHERE n <= {c['department_medication']}",
        f"INSERT INTO patient (first_name, last_name, date_of_birth, gender, blood_type, phone, email, address, "
        f"city, registered_by) SELECT CONCAT('Pat', n), CONCAT('Ient ', MOD(n, 9973)), "
        f"'1930-01-01' + INTERVAL MOD(n * 37, 32000) DAY, ELT(1 + MOD(n, 3), 'Female', 'Male', 'Other'), "
        f"IF(MOD(n, 9) = 0, NULL, ELT(1 + MOD(n, 8), 'A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-')), "
        f"CONCAT('+1-555-', n), IF(MOD(n, 4) = 0, NULL, CONCAT('patient', n, '@example.org')), "
        f"CONCAT(n, ' Main Street'), ELT(1 + MOD(n, 5), 'Springfield', 'Shelbyville', 'Ogdenville', "
        f"'North Haverbrook', 'Capital City'), 1 + MOD(n, {c['receptionist']}) FROM nums WHERE n <= {p}",
        f"INSERT INTO room (room_number, room_type, daily_rate, is_available, patient_id) SELECT CONCAT('R', n), "
        f"ELT(1 + MOD(n, 7), 'General', 'Semi-Private', 'Private', 'ICU', 'Maternity', 'Pediatric', 'Isolation'), "
        f"100 + n, MOD(n, 2) = 0, IF(MOD(n, 2) = 0, NULL, n) FROM nums WHERE n <= {c['room']}",
        f"INSERT INTO appointment (patient_id, doctor_id, receptionist_id, starts_at, status, reason) SELECT "
        f"1 + MOD(n * 7, {p}), 1 + MOD(n, {d}), 1 + MOD(n, {c['receptionist']}), "
        f"TIMESTAMP '2020-01-01 08:00:00' + INTERVAL FLOOR(n / {d}) * 15 MINUTE, "
        f"ELT(1 + MOD(n, 10), 'Completed', 'Completed', 'Completed', 'Completed', 'Completed', 'Scheduled', "
        f"'Scheduled', 'Cancelled', 'No-show', 'Completed'), IF(MOD(n, 3) = 0, NULL, 'Follow-up visit') "
        f"FROM nums WHERE n <= {c['appointment']}",
        f"INSERT INTO billing (patient_id, appointment_id, total_amount, bill_date, due_date, payment_status, "
        f"payment_method) SELECT patient_id, appointment_id, 20 + MOD(appointment_id * 13, 4000) / 4, "
        f"DATE(starts_at), DATE(starts_at) + INTERVAL 30 DAY, ELT(1 + MOD(appointment_id, 4), 'Pending', 'Paid', "
        f"'Paid', 'Overdue'), IF(MOD(appointment_id, 5) = 0, NULL, 'Card') FROM appointment "
        f"WHERE appointment_id <= {c['billing']}",
        f"INSERT INTO medical_record (patient_id, doctor_id, appointment_id, visit_date, diagnosis, icd10_code, "
        f"treatment, notes) SELECT patient_id, doctor_id, appointment_id, DATE(starts_at), "
        f"'Essential hypertension', ELT(1 + MOD(appointment_id, 4), 'I10', 'E11.9', 'J45.909', 'M54.5'), "
        f"'Lifestyle advice and review in 3 months', IF(MOD(appointment_id, 2) = 0, NULL, "
        f"'Patient reports feeling better; \"no\" side effects.\\nReview bloods.') FROM appointment "
        f"WHERE appointment_id <= {c['medical_record']}",
        f"INSERT INTO prescription (record_id, prescribed_at, notes) SELECT record_id, visit_date + INTERVAL 10 HOUR, "
        f"IF(MOD(record_id, 3) = 0, 'Take with food', NULL) FROM medical_record "
        f"WHERE record_id <= {c['prescription']}",
        # Medications 1 and 2 are stocked in every department (see department_medication above).
        "INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, duration_days, "
        "quantity) SELECT prescription_id, k.m, '1 tablet', 'twice daily', 7, 14 FROM prescription "
        "CROSS JOIN (SELECT 1 AS m UNION ALL SELECT 2) AS k",
    ]


def ensure_database(info, scale: float) -> dict[str, int]:
    """Create and fill `info.database` at `scale` unless it already holds those counts."""
    want = counts_for(scale)
    conn = connect(info, database=None, read_timeout=None)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (info.database,))
            if cur.fetchone()[0]:
                rows, _ = table_stats(conn, info.database)
                rows.pop("hms_schema_history", None)
                if rows == want:
                    return want
                cur.execute(f"DROP DATABASE `{info.database}`")
    finally:
        conn.close()
    print(f"filling {info.database} at scale {scale} ({sum(want.values()):,} rows) ...", flush=True)
    Migrator(info).migrate()
    conn = connect(info, read_timeout=None)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TEMPORARY TABLE nums (n INT UNSIGNED PRIMARY KEY)")
            cur.execute("INSERT INTO nums VALUES (1)")
            while True:
                cur.execute("SELECT MAX(n) FROM nums")
                top = cur.fetchone()[0]
                if top >= max(want.values()):
                    break
                cur.execute("INSERT INTO nums SELECT n + %s FROM nums", (top,))
            for statement in fill_sql(want):
                started = time.monotonic()
                cur.execute(statement)
                conn.commit()
                print(f"  {statement.split()[2]:<24} {cur.rowcount:>10,} rows  {time.monotonic() - started:6.1f} s",
                      flush=True)
    finally:
        conn.close()
    return want


def seeded_counts(info) -> dict[str, int]:
    """Row counts per table of a database `hms seed` filled; exits when it holds no rows."""
    fix = f"Run `hms --database {info.database} db migrate` and `... seed --scale S` first."
    try:
        conn = connect(info, read_timeout=None)
    except HmsError as exc:
        raise SystemExit(f"Error: {exc} {fix}") from None
    try:
        rows = row_counts(conn, info.database)
    finally:
        conn.close()
    rows.pop("hms_schema_history", None)
    if not sum(rows.values()):
        raise SystemExit(f"Error: database '{info.database}' holds no rows. "
                         f"Run `hms --database {info.database} seed --scale S` first.")
    return rows


def timed(command: list[str], stdin=None, stdout=None) -> float:
    started = time.monotonic()
    subprocess.run(command, stdin=stdin, stdout=stdout, check=True)
    return time.monotonic() - started


def drop(info, name: str) -> None:
    conn = connect(info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def create_empty(info, name: str, dialect) -> None:
    drop(info, name)
    conn = connect(info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {dialect.default_collation}")
    finally:
        conn.close()


def run_once(info, dialect, work: Path, threads: int) -> dict[str, dict[str, float]]:
    """Back up and restore once with each tool; return {tool: {"backup": s, "restore": s, "bytes": n}}."""
    db = info.database
    out: dict[str, dict[str, float]] = {}
    dump_bin, client = dialect.dump_binary(), dialect.client_binary()
    with defaults_file(info) as cnf:
        login = f"--defaults-extra-file={cnf}"
        # Plain mysqldump > file, then mysql < file: the baseline the target is measured against.
        plain = work / "plain.sql"
        dump_cmd = [dump_bin, login, "--single-transaction", "--routines", "--events", "--triggers",
                     "--hex-blob", "--no-tablespaces", "--quick", db]
        with open(plain, "wb") as sink:
            backup_s = timed(dump_cmd, stdout=sink)
        create_empty(info, "hms_bench_plain", dialect)
        with open(plain, "rb") as source:
            restore_s = timed([client, login, "--database=hms_bench_plain"], stdin=source)
        out["mysqldump | mysql"] = {"backup": backup_s, "restore": restore_s, "bytes": plain.stat().st_size}
        drop(info, "hms_bench_plain")

        # Plain mysqldump | gzip: what compression alone costs.
        gz = work / "plain.sql.gz"
        started = time.monotonic()
        with open(gz, "wb") as sink:
            dump = subprocess.Popen(dump_cmd, stdout=subprocess.PIPE)
            subprocess.run(["gzip", "-1"], stdin=dump.stdout, stdout=sink, check=True)
            dump.stdout.close()
            dump.wait()
        out["mysqldump | gzip -1"] = {"backup": time.monotonic() - started, "restore": None,
                                      "bytes": gz.stat().st_size}
        gz.unlink()

        # mydumper / myloader, the parallel peer.
        if shutil.which("mydumper") and shutil.which("myloader"):
            dump_dir = work / "mydumper"
            backup_s = timed(["mydumper", f"--defaults-file={cnf}", "--database", db, "--outputdir", str(dump_dir),
                              "--threads", str(threads), "--routines", "--events", "--triggers",
                              "--compress", "--trx-consistency-only"], stdout=subprocess.DEVNULL)
            size = sum(p.stat().st_size for p in dump_dir.iterdir())
            drop(info, "hms_bench_myloader")
            restore_s = timed(["myloader", f"--defaults-file={cnf}", "--directory", str(dump_dir), "--database", "hms_bench_myloader",
                               "--threads", str(threads), "--overwrite-tables"], stdout=subprocess.DEVNULL)
            out["mydumper / myloader"] = {"backup": backup_s, "restore": restore_s, "bytes": size}
            shutil.rmtree(dump_dir)
            drop(info, "hms_bench_myloader")

    # Ours: consistent snapshot + counts/checksums + definer stripping + gzip + fsync + manifest.
    started = time.monotonic()
    made = create_backup(info, work / "ours")
    backup_s = time.monotonic() - started
    drop(info, "hms_bench_ours")
    started = time.monotonic()
    restore_backup(info, made.path, "hms_bench_ours")
    out["hms backup"] = {"backup": backup_s, "restore": time.monotonic() - started, "bytes": made.manifest.bytes}
    drop(info, "hms_bench_ours")
    plain.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=1, help="repeat and keep the best time of each")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="mydumper/myloader threads")
    parser.add_argument("--database", default="hms_bench_backup")
    parser.add_argument("--seeded", action="store_true",
                        help="use the database as `hms seed` filled it (never dropped or refilled)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    settings = Settings.from_env(database=args.database)
    info = admin_login(settings)
    counts = seeded_counts(info) if args.seeded else ensure_database(info, args.scale)
    rows = sum(counts.values())
    conn = connect(info)
    try:
        dialect = dialects.for_connection(conn)
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            version = cur.fetchone()[0]
    finally:
        conn.close()
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="hms-bench-backup-") as tmp:
        for _ in range(args.runs):
            for tool, figures in run_once(info, dialect, Path(tmp), args.threads).items():
                kept = best.setdefault(tool, dict(figures))
                for key in ("backup", "restore"):
                    if figures[key] is not None and figures[key] < kept[key]:
                        kept[key] = figures[key]
    sql_mb = best["mysqldump | mysql"]["bytes"] / 1e6
    base = best["mysqldump | mysql"]["backup"]
    data = "hms seed" if args.seeded else "INSERT ... SELECT"
    print(f"\nscale {args.scale} ({data}): {rows:,} rows, {sql_mb:,.0f} MB of SQL; {version}; "
          f"{os.cpu_count()} cores; best of {args.runs}")
    print(f"{'tool':<22}{'backup s':>9}{'MB/s':>8}{'rows/s':>11}{'vs plain':>9}{'restore s':>10}{'MB/s':>8}"
          f"{'rows/s':>11}{'file MB':>9}")
    for tool, f in best.items():
        restore = f["restore"]
        print(f"{tool:<22}{f['backup']:>9.1f}{sql_mb / f['backup']:>8.1f}{rows / f['backup']:>11,.0f}"
              f"{f['backup'] / base:>8.2f}x"
              + (f"{restore:>10.1f}{sql_mb / restore:>8.1f}{rows / restore:>11,.0f}" if restore else f"{'-':>29}")
              + f"{f['bytes'] / 1e6:>9.1f}")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    record = {"benchmark": "backup", "scale": args.scale, "rows": rows, "sql_bytes": int(sql_mb * 1e6),
              "server": version, "cores": os.cpu_count(), "machine": platform.platform(), "runs": args.runs,
              "data": data, "load_average_before": load_before, "load_average_after": os.getloadavg(),
              "threads": args.threads, "tools": best, "created_at": stamp}
    path = results / f"backup-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
