"""Whole databases: make one filled with awkward data (what the backup tests back up),
say whether one exists, describe its contents, drop it."""

from __future__ import annotations

from hms.backup import contents
from hms.connection import ConnectionInfo, connect
from hms.migrations import Migrator

from . import Clinic, future_slot, query

# 10 x 10 x 10 x 10 x 2 = 20,000 numbers, portable (no recursive CTE limits).
NUMBERS = """
SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 1 AS n
  FROM (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
        UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a
 CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
        UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b
 CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
        UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c
 CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
        UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e
 CROSS JOIN (SELECT 0 d UNION ALL SELECT 1) f
"""


def fill(conn, patients: int = 20000) -> None:
    """Add a small clinic plus `patients` patients, appointments and bills with awkward values."""
    clinic = Clinic(conn)
    setup = clinic.prescribing_setup(stock=500)
    clinic.appointment(setup["doctor"], setup["patient"], future_slot(10), status="Cancelled")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
                    "duration_days, quantity) VALUES (%s, %s, '1 tablet', 'twice daily', 5, 10)",
                    (setup["prescription"], setup["medication"]))
        cur.execute(f"""
            INSERT INTO patient (first_name, last_name, date_of_birth, gender, blood_type, phone, email,
                                 address, city)
            SELECT CONCAT('Zoë ', n), 'O''Brien "q" \\\\ ☃', DATE '1950-01-01' + INTERVAL n DAY,
                   ELT(1 + MOD(n, 3), 'Female', 'Male', 'Other'), IF(MOD(n, 7) = 0, NULL, 'O+'),
                   CONCAT('+1-555-', n), IF(MOD(n, 5) = 0, NULL, CONCAT('p', n, '@example.org')),
                   CONCAT(n, ' Main St\\nApt 2\\t'), 'Springfield'
              FROM ({NUMBERS}) AS numbers WHERE n <= %s""", (patients,))
        cur.execute("SELECT MIN(patient_id) - 1 FROM patient WHERE first_name LIKE 'Zo%%'")
        offset = cur.fetchone()[0]
        cur.execute(f"""
            INSERT INTO appointment (patient_id, doctor_id, starts_at, status, reason)
            SELECT n + %s, %s, TIMESTAMP '2024-01-01 08:00:00' + INTERVAL (15 * n) MINUTE,
                   ELT(1 + MOD(n, 4), 'Scheduled', 'Completed', 'Cancelled', 'No-show'), IF(MOD(n, 3) = 0, NULL, 'check-up')
              FROM ({NUMBERS}) AS numbers WHERE n <= %s""", (offset, setup["doctor"], patients))
        cur.execute("""
            INSERT INTO billing (patient_id, appointment_id, total_amount, bill_date, due_date, payment_status)
            SELECT patient_id, appointment_id, 10 + (MOD(appointment_id, 997)) / 4, DATE(starts_at),
                   DATE(starts_at) + INTERVAL 30 DAY, 'Pending'
              FROM appointment WHERE doctor_id = %s""", (setup["doctor"],))


def make_database(server_info: ConnectionInfo, name: str, patients: int = 20000) -> ConnectionInfo:
    info = server_info.with_database(name)
    drop_database(server_info, name)
    Migrator(info, include_roles=False).migrate()  # roles would keep grants on it after the drop
    conn = connect(info)
    try:
        fill(conn, patients)
    finally:
        conn.close()
    return info


def drop_database(server_info: ConnectionInfo, name: str) -> None:
    conn = connect(server_info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def database_exists(server_info: ConnectionInfo, name: str) -> bool:
    conn = connect(server_info, database=None)
    try:
        return bool(query(conn, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                          (name,))[0][0])
    finally:
        conn.close()


def describe(info: ConnectionInfo, name: str) -> dict:
    conn = connect(info, database=None)
    try:
        return contents.describe(conn, name)
    finally:
        conn.close()
