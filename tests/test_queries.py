"""Each analyst query in sql/queries/ returns the right answer on a small hand-made clinic.

The clinic is described here as plain Python data; each test computes the expected
answer from that data in Python and compares it with what the query returns.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from hms.connection import connect
from hms.migrations import Migrator
from hms.queries import get_query, list_queries, stream

ROOT = Path(__file__).resolve().parent.parent
NINE = {"appointments_summary", "doctors_by_department", "room_assignment_status",
        "patients_who_visited_cardiologists", "frequent_patients", "departments_with_multiple_doctors",
        "total_billing_per_patient", "medication_types_per_department", "appointments_per_doctor"}

DEPARTMENTS = ["Cardiology", "Pediatrics", "Dermatology", "Surgery"]          # ids 1..4
DOCTORS = [  # (first, last, specialization, department id); ids 1..6
    ("Hana", "Berg", "Cardiology", 1), ("Omar", "Adler", "Interventional Cardiology", 1),
    ("Ines", "Cole", "Cardiac Electrophysiology", 1), ("Luca", "Diaz", "Pediatrics", 2),
    ("Mia", "Evans", "Neonatology", 2), ("Noor", "Fox", "Dermatology", 3),
]
PATIENTS = [  # (first, last, email, phone); ids 1..8
    ("Ann", "Zeller", "ann@example.org", "+1-555-0101"), ("Bob", "Young", None, "+1-555-0102"),
    ("Cy", "Xu", "cy@example.org", "+1-555-0103"), ("Dee", "Ward", "dee@example.org", "+1-555-0104"),
    ("Eve", "Vance", "eve@example.org", "+1-555-0105"), ("Fay", "Usher", None, "+1-555-0106"),
    ("Gus", "Tate", "gus@example.org", "+1-555-0107"), ("Hal", "Stone", "hal@example.org", "+1-555-0108"),
]
PAST = datetime(2024, 3, 4, 9, 0)
FUTURE = datetime.combine(date.today() + timedelta(days=40), datetime.min.time()).replace(hour=9)
APPOINTMENTS = [  # (patient id, doctor id, starts_at, status); ids 1..n in this order
    (1, 1, PAST, "Completed"), (1, 4, PAST, "Completed"), (1, 6, PAST, "No-show"),
    (1, 2, PAST + timedelta(hours=1), "Completed"), (1, 5, FUTURE, "Scheduled"),       # Ann: 5, cardiology
    (2, 2, PAST, "Cancelled"), (2, 2, PAST + timedelta(days=1), "Cancelled"),
    (2, 4, PAST + timedelta(hours=1), "Completed"), (2, 5, PAST, "Completed"),         # Bob: 4, only cancelled cardio
    (3, 3, FUTURE, "Scheduled"), (3, 4, PAST + timedelta(hours=2), "Completed"),
    (3, 6, PAST + timedelta(hours=1), "Completed"),                                    # Cy: 3, cardio only future
    (4, 3, PAST, "Completed"), (4, 3, PAST + timedelta(days=2), "Completed"),          # Dee: cardio twice
    (5, 6, PAST + timedelta(hours=2), "Completed"),
    (7, 1, PAST + timedelta(hours=1), "Completed"), (7, 1, PAST + timedelta(hours=2), "Completed"),
    (7, 1, PAST + timedelta(hours=3), "Completed"), (7, 1, PAST + timedelta(hours=4), "No-show"),
    (7, 1, PAST + timedelta(hours=5), "Cancelled"),                                     # Gus: 5, cardiology
]
BILLS = [  # (patient id, total_amount)
    (1, "120.00"), (1, "80.50"), (1, "0.00"), (2, "45.25"), (3, "1000.00"), (3, "999.99"),
    (4, "10.10"), (4, "20.20"), (4, "30.30"), (4, "40.40"), (7, "75.00"), (8, "12345.67"),
]
MEDICATIONS = [("Aspirin", "Tablet"), ("Amoxicillin", "Capsule"), ("Ibuprofen", "Tablet"),
               ("Salbutamol", "Inhaler"), ("Hydrocortisone", "Ointment")]        # ids 1..5
STOCK = [(1, 1), (1, 3), (1, 4), (2, 2), (2, 3), (2, 4), (2, 5), (3, 5)]     # (department, medication)
ROOMS = [("101", "General", None), ("102", "ICU", 4), ("201", "Private", None), ("103", "Isolation", 2)]


def insert_clinic(conn) -> None:
    """Insert the clinic above; ids follow list order because the database is new."""
    with conn.cursor() as cur:
        for name in DEPARTMENTS:
            cur.execute("INSERT INTO department (name, location) VALUES (%s, 'Main')", (name,))
        for i, (first, last, spec, dep) in enumerate(DOCTORS, 1):
            cur.execute("INSERT INTO doctor (first_name, last_name, specialization, department_id, email, "
                        "license_number, hire_date) VALUES (%s, %s, %s, %s, %s, %s, '2010-01-01')",
                        (first, last, spec, dep, f"doc{i}@example.org", f"LIC{i}"))
        for first, last, email, phone in PATIENTS:
            cur.execute("INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, email, "
                        "address, city) VALUES (%s, %s, '1970-01-01', 'Other', %s, %s, '1 Elm St', 'Oslo')",
                        (first, last, phone, email))
        for patient, doctor, starts_at, status in APPOINTMENTS:
            cur.execute("INSERT INTO appointment (patient_id, doctor_id, starts_at, status) VALUES (%s, %s, %s, %s)",
                        (patient, doctor, starts_at, status))
        for patient, amount in BILLS:
            cur.execute("INSERT INTO billing (patient_id, total_amount, bill_date, due_date) "
                        "VALUES (%s, %s, '2024-03-04', '2024-04-04')", (patient, amount))
        for name, form in MEDICATIONS:
            cur.execute("INSERT INTO medication (name, form, strength, manufacturer, unit_price) "
                        "VALUES (%s, %s, '10 mg', 'Acme', 1.00)", (name, form))
        for dep, med in STOCK:
            cur.execute("INSERT INTO department_medication VALUES (%s, %s, 100)", (dep, med))
        for number, kind, patient in ROOMS:
            cur.execute("INSERT INTO room (room_number, room_type, daily_rate, is_available, patient_id) "
                        "VALUES (%s, %s, 100.00, %s, %s)", (number, kind, patient is None, patient))


@pytest.fixture(scope="module")
def clinic_db(server_info):
    """Login for a new database holding only the hand-made clinic; dropped afterwards."""
    info = server_info.with_database(f"hms_q{os.getpid()}")
    Migrator(info, include_roles=False).migrate()
    conn = connect(info)
    try:
        insert_clinic(conn)
    finally:
        conn.close()
    yield info
    conn = connect(info, database=None)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{info.database}`")
    conn.close()


def run(info, name: str, limit: int | None = None) -> tuple[list[str], list[tuple]]:
    sql, args = get_query(name).limited(limit)
    with stream(info, sql, args) as (columns, rows):
        return columns, list(rows)


def full_name(first: str, last: str) -> str:
    return f"{first} {last}"


def test_sql_queries_holds_the_nine_queries_with_headers():
    queries = list_queries()
    assert {q.name for q in queries} == NINE
    for q in queries:
        assert "Index:" in q.header, f"{q.name} does not say which index serves it"
        assert " LIMIT " not in q.sql.upper().replace("\n", " "), f"{q.name} must not limit itself"


def test_appointments_summary(clinic_db):
    columns, rows = run(clinic_db, "appointments_summary")
    assert columns == ["patient_id", "appointment_id", "patient_name", "doctor_name", "starts_at", "status"]
    expected = [(p, i, full_name(*PATIENTS[p - 1][:2]), full_name(*DOCTORS[d - 1][:2]), at, status)
                for i, (p, d, at, status) in enumerate(APPOINTMENTS, 1)]
    assert sorted(rows) == sorted(expected)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)      # in patient order


def test_doctors_by_department(clinic_db):
    _, rows = run(clinic_db, "doctors_by_department")
    expected = sorted(((DEPARTMENTS[dep - 1], last, first, i, spec, dep)
                       for i, (first, last, spec, dep) in enumerate(DOCTORS, 1)))
    assert [(r[1], r[3], r[4]) for r in rows] == [(d, full_name(f, l), s) for d, l, f, _, s, _ in expected]
    assert "Surgery" not in {r[1] for r in rows}


def test_room_assignment_status(clinic_db):
    _, rows = run(clinic_db, "room_assignment_status")
    expected = [(number, kind, patient is None, patient,
                 full_name(*PATIENTS[patient - 1][:2]) if patient else None)
                for number, kind, patient in sorted(ROOMS)]
    assert [(r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows] == expected


def test_patients_who_visited_cardiologists(clinic_db):
    _, rows = run(clinic_db, "patients_who_visited_cardiologists")
    cardiologists = {i for i, d in enumerate(DOCTORS, 1) if DEPARTMENTS[d[3] - 1] == "Cardiology"}
    expected = sorted({p for p, d, _, status in APPOINTMENTS if d in cardiologists and status == "Completed"})
    assert [r[0] for r in rows] == expected == [1, 4, 7]
    assert rows[0][1:3] == ("Ann", "Zeller")


def test_frequent_patients(clinic_db):
    _, rows = run(clinic_db, "frequent_patients")
    counts = Counter(p for p, *_ in APPOINTMENTS)
    expected = sorted(((p, n) for p, n in counts.items() if n > 3), key=lambda x: (-x[1], x[0]))
    assert [(r[0], r[3]) for r in rows] == expected
    assert {r[0] for r in rows} == {1, 2, 7}


def test_departments_with_multiple_doctors(clinic_db):
    _, rows = run(clinic_db, "departments_with_multiple_doctors")
    counts = Counter(DEPARTMENTS[d[3] - 1] for d in DOCTORS)
    assert [(r[1], r[2]) for r in rows] == sorted((name, n) for name, n in counts.items() if n > 1)


def test_total_billing_per_patient(clinic_db):
    columns, rows = run(clinic_db, "total_billing_per_patient")
    assert columns == ["patient_id", "first_name", "last_name", "email", "phone", "bills", "total_billed"]
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for patient, amount in BILLS:
        totals[patient].append(Decimal(amount))
    expected = [(p, *PATIENTS[p - 1][:2], PATIENTS[p - 1][2], PATIENTS[p - 1][3], len(a), sum(a))
                for p, a in sorted(totals.items())]
    assert rows == expected


def test_medication_types_per_department(clinic_db):
    _, rows = run(clinic_db, "medication_types_per_department")
    meds: dict[str, set] = {name: set() for name in DEPARTMENTS}
    for dep, med in STOCK:
        meds[DEPARTMENTS[dep - 1]].add(med)
    expected = [(name, len(meds[name]), len({MEDICATIONS[m - 1][1] for m in meds[name]}))
                for name in sorted(DEPARTMENTS)]
    assert [(r[1], r[2], r[3]) for r in rows] == expected


def test_appointments_per_doctor(clinic_db):
    _, rows = run(clinic_db, "appointments_per_doctor")
    counts = Counter(d for _, d, *_ in APPOINTMENTS)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (i, full_name(first, last), counts.get(i, 0)) for i, (first, last, *_) in enumerate(DOCTORS, 1)]


def test_limit_stops_at_n_rows_in_query_order(clinic_db):
    _, rows = run(clinic_db, "appointments_per_doctor", limit=3)
    assert [r[0] for r in rows] == [1, 2, 3]


def test_study_discount_rewrite_equals_the_function_and_decimal_arithmetic(clinic_db):
    import importlib
    import sys
    from decimal import ROUND_HALF_UP

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        study = importlib.import_module("queries")
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    conn = connect(clinic_db)
    try:
        with conn.cursor() as cur:
            cur.execute(study.DISCOUNT_ORIGINAL + " ORDER BY bill_id")
            original = cur.fetchall()
            cur.execute(study.DISCOUNT_BEST + " ORDER BY bill_id")
            best = cur.fetchall()
    finally:
        conn.close()
    expected = [(i, p, Decimal(a), (Decimal(a) * 90 / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))
                for i, (p, a) in enumerate(BILLS, 1)]
    assert list(original) == list(best) == expected
