"""Each analyst query in sql/queries/ returns the right answer on a small hand-made clinic.

The clinic is described in tests/support/queries_clinic.py as plain Python data; each
test computes the expected answer from that data in Python and compares it with what
the query returns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from hms.connection import connect
from hms.queries import get_query, list_queries, stream
from tests.support import ROOT
from tests.support.queries_clinic import (
    APPOINTMENTS,
    BILLS,
    DEPARTMENTS,
    DOCTORS,
    MEDICATIONS,
    NINE,
    PATIENTS,
    ROOMS,
    STOCK,
)


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
