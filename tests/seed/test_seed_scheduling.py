"""`hms seed` fills the scheduling tables (seed/scheduling.py) so that they keep every
scheduling rule, reproducibly, and the seeded doctors can be booked through them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hms.connection import connect
from seed import scale, scheduling
from seed.checks import verify
from seed.generate import Plan
from tests.support import query
from tests.support.seeding import AS_OF, SCALE, seeded


@pytest.fixture(scope="module")
def seeded_db(make_database):
    return seeded(make_database, 2)


# Tables whose first column is an AUTO_INCREMENT surrogate (a rebuild continues the numbers).
SURROGATE_FIRST = {"doctor_availability", "doctor_leave", "waitlist_entry", "waitlist_offer", "walkin_visit"}


def contents(info) -> dict[str, list]:
    """Every row of every scheduling table, in order, without the surrogate ids a rebuild renumbers."""
    conn = connect(info)
    try:
        return {t: sorted(row[1:] if t in SURROGATE_FIRST else row for row in query(conn, f"SELECT * FROM `{t}`"))
                for t in scheduling.TABLES}
    finally:
        conn.close()


def test_every_scheduling_table_is_filled_and_the_thirteen_keep_their_counts(seeded_db):
    conn = connect(seeded_db)
    try:
        counts = {t: query(conn, f"SELECT COUNT(*) FROM `{t}`")[0][0] for t in scheduling.TABLES}
        thirteen = {t: query(conn, f"SELECT COUNT(*) FROM `{t}`")[0][0] for t in scale.TABLES}
    finally:
        conn.close()
    assert thirteen == scale.counts(SCALE)
    assert [t for t, n in counts.items() if n == 0] == ["waitlist_offer"]
    assert counts["doctor_availability"] == 10 * thirteen["doctor"] + thirteen["doctor"] // 10
    assert counts["appointment_doctor_claim"] == counts["appointment_patient_claim"]


def test_verify_checks_the_scheduling_rules_and_they_hold(seeded_db):
    report = verify(seeded_db)
    assert report.failed == []
    assert any(line.startswith("no appointment outside its doctor's availability: 0") for line in report.passed)
    assert any(line.startswith("no patient holds two overlapping Scheduled appointments: 0") for line in report.passed)


def test_verify_finds_a_broken_history_an_appointment_in_leave_and_overlapping_templates(make_database):
    info = seeded(make_database, 1)
    conn = connect(info)
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM appointment_status_history ORDER BY history_id DESC LIMIT 1")
            cur.execute("SET @hms_seed_loading = NULL")
            cur.execute("INSERT INTO doctor_leave (doctor_id, starts_at, ends_at) SELECT doctor_id, "
                        "starts_at - INTERVAL 1 HOUR, starts_at + INTERVAL 1 HOUR FROM appointment "
                        "WHERE status = 'Completed' ORDER BY appointment_id LIMIT 1")
            cur.execute("DROP TRIGGER trg_doctor_availability_insert")  # this database's only: what it would refuse
            cur.execute("INSERT INTO doctor_availability (doctor_id, weekday, starts_time, ends_time, valid_from) "
                        "SELECT doctor_id, weekday, starts_time, ends_time, valid_from FROM doctor_availability "
                        "ORDER BY availability_id LIMIT 1")
    finally:
        conn.close()
    failed = verify(info).failed
    assert any(line.startswith("every appointment's status history ends in its status and start: 1") for line in failed)
    assert any(line.startswith("no appointment in its doctor's leave:") for line in failed)
    assert any(line.startswith("no two templates of a doctor overlap in hours and validity: 1 ") for line in failed)


def test_rebuilding_with_one_session_gives_the_same_tables(seeded_db):
    before = contents(seeded_db)
    scheduling.prepare(seeded_db, Plan(7, SCALE, AS_OF))
    scheduling.fill(seeded_db, Plan(7, SCALE, AS_OF), sessions=1)
    assert contents(seeded_db) == before


def test_a_seeded_doctor_is_booked_through_find_free_slots(seeded_db):
    conn = connect(seeded_db)
    try:
        (doctor,), = query(conn, "SELECT MIN(doctor_id) FROM doctor")
        start = datetime.combine(datetime.now().date() + timedelta(days=400), datetime.min.time())
        slots = query(conn, "CALL find_free_slots(%s, NULL, %s, %s, 3)", (doctor, start, start + timedelta(days=7)))
        assert len(slots) == 3 and all(s[1].weekday() < 5 and s[2] == 30 for s in slots)
        (patient,), = query(conn, "SELECT MAX(patient_id) FROM patient")
        with conn.cursor() as cur:
            cur.execute("CALL book_slot(%s, %s, %s, 60, NULL, 'seed test', @b)", (patient, doctor, slots[0][1]))
            with pytest.raises(Exception) as excinfo:
                cur.execute("CALL book_slot(%s, %s, %s, 30, NULL, NULL, @b)",
                            (patient, doctor, slots[0][1].replace(hour=18)))
        assert "has no slot" in str(excinfo.value)
    finally:
        conn.close()
