"""The dashboard's summaries (visit_week_summary, doctor_visit_summary, revenue_month_summary)
stay equal to the appointments and bills they summarise, whatever happens to those."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from hms.dashboard import REBUILD, baseline_figures, figures, rebuild, refresh_due, stale_summaries
from tests.support import query

SUMMARIES = {
    "visit_week_summary": "SELECT week_start, department_id, status, SUM(appointments) AS n FROM visit_week_summary "
                          "GROUP BY 1, 2, 3 HAVING n <> 0 ORDER BY 1, 2, 3",
    "doctor_visit_summary": "SELECT doctor_id, SUM(appointments) AS n FROM doctor_visit_summary GROUP BY 1 "
                            "HAVING n <> 0 ORDER BY 1",
    "revenue_month_summary": "SELECT month_start, department_id, SUM(bills) AS n, SUM(revenue) "
                             "FROM revenue_month_summary GROUP BY 1, 2 HAVING n <> 0 ORDER BY 1, 2",
}
DOCTOR_COUNT = "SELECT CAST(COALESCE(SUM(appointments), 0) AS SIGNED) FROM doctor_visit_summary WHERE doctor_id = %s"


def refresh(db) -> None:
    """Rebuild the summaries from the big tables, as the console's scheduled refresh does."""
    with db.cursor() as cur:
        for statement in REBUILD:
            cur.execute(statement)
    db.commit()


def summaries(db) -> dict[str, list[tuple]]:
    return {name: query(db, sql) for name, sql in SUMMARIES.items()}


def rebuilt(db) -> dict[str, list[tuple]]:
    """What the summaries would hold recomputed from the big tables (inside a rolled-back transaction)."""
    db.begin()
    try:
        with db.cursor() as cur:
            for statement in REBUILD:
                cur.execute(statement)
        return summaries(db)
    finally:
        db.rollback()


def add_bill(db, patient: int, appointment: int | None, amount: str, day: date) -> int:
    with db.cursor() as cur:
        cur.execute("INSERT INTO billing (patient_id, appointment_id, total_amount, bill_date, due_date) "
                    "VALUES (%s, %s, %s, %s, %s)", (patient, appointment, amount, day, day + timedelta(days=30)))
        return cur.lastrowid


def test_summaries_follow_bookings_status_changes_moves_bills_and_deletes(db, clinic):
    today = date.today()
    monday = today - timedelta(days=today.weekday())
    cardiology, surgery = clinic.department(), clinic.department()
    ada, bea = clinic.doctor(cardiology), clinic.doctor(surgery)
    patient = clinic.patient()
    last_week = datetime.combine(monday - timedelta(days=5), datetime.min.time()).replace(hour=10)
    refresh(db)
    before = figures(db, today)

    seen = clinic.appointment(ada, patient, last_week, status="Completed")
    missed = clinic.appointment(ada, patient, last_week + timedelta(hours=1), status="Scheduled")
    moved = clinic.appointment(bea, patient, last_week + timedelta(days=1))
    gone = clinic.appointment(bea, patient, last_week + timedelta(days=2))
    query(db, "UPDATE appointment SET status = 'No-show' WHERE appointment_id = %s", (missed,))
    query(db, "UPDATE appointment SET doctor_id = %s, starts_at = starts_at - INTERVAL 7 DAY "
              "WHERE appointment_id = %s", (ada, moved))
    query(db, "UPDATE appointment SET status = 'Cancelled' WHERE appointment_id = %s", (gone,))
    moved_bill = add_bill(db, patient, moved, "55.00", today)
    query(db, "UPDATE appointment SET doctor_id = %s WHERE appointment_id = %s", (bea, moved))  # to Surgery
    assert stale_summaries(db) != []   # refreshed on a schedule, not by triggers
    refresh(db)
    assert stale_summaries(db) == []
    query(db, "UPDATE appointment SET doctor_id = %s WHERE appointment_id = %s", (ada, moved))  # back
    query(db, "DELETE FROM billing WHERE bill_id = %s", (moved_bill,))
    bill = add_bill(db, patient, seen, "120.50", today)
    add_bill(db, patient, None, "10.00", today)
    cancelled = add_bill(db, patient, missed, "99.00", today)
    query(db, "UPDATE billing SET payment_status = 'Cancelled' WHERE bill_id = %s", (cancelled,))
    # (a status change only: Paid would need payments, which record_payment writes)
    query(db, "UPDATE billing SET total_amount = 130.50, payment_status = 'Overdue' WHERE bill_id = %s", (bill,))
    query(db, "UPDATE appointment SET doctor_id = %s WHERE appointment_id = %s", (bea, seen))   # its bill follows
    query(db, "UPDATE appointment SET doctor_id = %s WHERE appointment_id = %s", (ada, seen))   # and back

    refresh(db)
    assert summaries(db) == rebuilt(db)
    assert stale_summaries(db) == []
    after = figures(db, today)
    assert after == baseline_figures(db, today)
    assert after.no_shows == before.no_shows + 1 and after.attended == before.attended + 1
    assert sum(n for _, n in after.visits_per_week) == sum(n for _, n in before.visits_per_week) + 3
    this_month = dict(after.revenue_per_month)[today.replace(day=1)]
    assert this_month == dict(before.revenue_per_month)[today.replace(day=1)] + Decimal("140.50")
    assert query(db, DOCTOR_COUNT, (ada,)) == [(3,)]
    assert query(db, DOCTOR_COUNT, (bea,)) == [(0,)]

    query(db, "DELETE FROM billing WHERE patient_id = %s", (patient,))
    query(db, "DELETE FROM appointment WHERE patient_id = %s", (patient,))
    refresh(db)
    assert summaries(db) == rebuilt(db)
    assert figures(db, today) == baseline_figures(db, today) == before


def test_a_summary_out_of_step_is_named(db, clinic):
    doctor, patient = clinic.doctor(), clinic.patient()
    clinic.appointment(doctor, patient, datetime(2024, 3, 4, 10, 0))
    refresh(db)
    query(db, "UPDATE doctor_visit_summary SET appointments = appointments + 1 WHERE doctor_id = %s", (doctor,))
    try:
        assert stale_summaries(db) == ["doctor_visit_summary"]
    finally:
        query(db, "UPDATE doctor_visit_summary SET appointments = appointments - 1 WHERE doctor_id = %s", (doctor,))
        query(db, "DELETE FROM appointment WHERE patient_id = %s", (patient,))
    refresh(db)
    assert stale_summaries(db) == []


def test_a_refresh_is_due_ten_minutes_after_the_last_rebuild(db, server_info):
    refresh(db)
    assert not refresh_due(db)
    query(db, "UPDATE dashboard_summary_refresh SET refreshed_at = NOW() - INTERVAL 11 MINUTE WHERE id = 1")
    assert refresh_due(db)
    rebuild(replace(server_info, database=query(db, "SELECT DATABASE()")[0][0]))
    assert not refresh_due(db)
    assert stale_summaries(db) == []
