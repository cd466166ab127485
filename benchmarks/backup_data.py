"""The database benchmarks/backup.py backs up: filled at the contract's counts with INSERT ... SELECT, or as seeded."""

from __future__ import annotations

from harness import clock, connect, session
from hms.backup.contents import row_counts, table_stats
from hms.errors import HmsError
from hms.migrations import Migrator

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
    with session(info, database=None, read_timeout=None) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (info.database,))
        if cur.fetchone()[0]:
            rows, _ = table_stats(conn, info.database)
            rows.pop("hms_schema_history", None)
            if rows == want:
                return want
            cur.execute(f"DROP DATABASE `{info.database}`")
    print(f"filling {info.database} at scale {scale} ({sum(want.values()):,} rows) ...", flush=True)
    Migrator(info).migrate()
    with session(info, read_timeout=None) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE nums (n INT UNSIGNED PRIMARY KEY)")
        cur.execute("INSERT INTO nums VALUES (1)")
        while True:
            cur.execute("SELECT MAX(n) FROM nums")
            top = cur.fetchone()[0]
            if top >= max(want.values()):
                break
            cur.execute("INSERT INTO nums SELECT n + %s FROM nums", (top,))
        for statement in fill_sql(want):
            started = clock()
            cur.execute(statement)
            conn.commit()
            print(f"  {statement.split()[2]:<24} {cur.rowcount:>10,} rows  {clock() - started:6.1f} s",
                  flush=True)
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
