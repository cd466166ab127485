"""Availability templates of one doctor and weekday may meet but not overlap in both hours
and validity (trg_doctor_availability_insert / _update): refused in one line naming the
other template, on INSERT and UPDATE, and between two sessions adding them at once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pymysql

from hms import errcodes
from hms.connection import connect
from tests.scheduling.conftest import at, monday, refusal
from tests.support import query
from tests.support.races import race

INSERT = ("INSERT INTO doctor_availability (doctor_id, weekday, starts_time, ends_time, slot_minutes, capacity, "
          "valid_from, valid_to) VALUES (%s, %s, %s, %s, 30, 1, %s, %s)")
UPDATE = "UPDATE doctor_availability SET {} WHERE availability_id = %s"
HINT = "hours or dates may meet, not overlap"


def add(conn, doctor, starts, ends, valid_from="2020-01-01", valid_to=None, weekday=0) -> int:
    with conn.cursor() as cur:
        cur.execute(INSERT, (doctor, weekday, starts, ends, valid_from, valid_to))
        return cur.lastrowid


def change(conn, template: int, assignments: str) -> None:
    with conn.cursor() as cur:
        cur.execute(UPDATE.format(assignments), (template,))


def templates(db, doctor) -> int:
    return query(db, "SELECT COUNT(*) FROM doctor_availability WHERE doctor_id = %s", (doctor,))[0][0]


def test_templates_that_only_meet_are_kept(db, sched):
    doctor = sched.doctor()
    add(db, doctor, "08:00", "12:00")
    add(db, doctor, "12:00", "17:00")                                           # starts where the other ends
    add(db, doctor, "17:00", "19:00", valid_to="2026-06-30")
    add(db, doctor, "17:00", "20:00", valid_from="2026-07-01")                  # valid from the day after
    add(db, doctor, "08:00", "17:00", weekday=1)                                # another weekday
    add(db, sched.doctor(), "08:00", "17:00")                                   # another doctor
    assert templates(db, doctor) == 5


def test_an_overlapping_template_is_refused_in_one_line_naming_the_other(db, sched):
    doctor = sched.doctor()
    first = add(db, doctor, "08:00", "12:00", valid_to="2030-12-31")
    for starts, ends, valid_from, valid_to in (("11:30", "13:00", "2025-01-01", None),           # hours overlap
                                               ("07:00", "17:00", "2030-12-31", None),           # on its last day
                                               ("09:00", "10:00", "2010-01-01", "2020-01-01")):  # on its first day
        code, message = refusal(db, INSERT, (doctor, 0, starts, ends, valid_from, valid_to))
        assert code == errcodes.SIGNAL_EXCEPTION
        assert message == (f"doctor_availability: overlaps template {first} (Mon 08:00-12:00, "
                           f"2020-01-01..2030-12-31); {HINT}")
    sunday = add(db, doctor, "13:00", "17:00", weekday=6)
    code, message = refusal(db, INSERT, (doctor, 6, "16:45", "24:00", "2021-03-04", None))
    assert message == f"doctor_availability: overlaps template {sunday} (Sun 13:00-17:00, 2020-01-01..open); {HINT}"
    assert templates(db, doctor) == 2


def test_an_update_into_an_overlap_is_refused_and_the_row_itself_does_not_count(db, sched):
    doctor = sched.doctor()
    morning = add(db, doctor, "08:00", "12:00")
    afternoon = add(db, doctor, "12:00", "17:00", weekday=1)
    change(db, morning, "starts_time = '09:00', capacity = 2")   # against its own old row: no overlap
    change(db, afternoon, "weekday = 0")                         # Monday 12:00-17:00 meets the morning
    code, message = refusal(db, UPDATE.format("starts_time = '11:00'"), (afternoon,))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert message == f"doctor_availability: overlaps template {morning} (Mon 09:00-12:00, 2020-01-01..open); {HINT}"
    assert query(db, "SELECT starts_time FROM doctor_availability WHERE availability_id = %s",
                 (afternoon,)) == [(timedelta(hours=12),)]
    change(db, morning, "valid_to = '2029-12-31'")   # ending its validity makes room from the day after
    later = add(db, doctor, "08:00", "12:00", valid_from="2030-01-01")
    code, message = refusal(db, UPDATE.format("valid_to = NULL"), (morning,))
    assert code == errcodes.SIGNAL_EXCEPTION and f"template {later} (Mon 08:00-12:00, 2030-01-01..open)" in message


def wait_until_waiting_for_the_doctor(db, thread_id: int) -> None:
    """Return once session `thread_id` asks for the doctor's row lock the other session holds."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if query(db, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %s "
                     "AND INFO LIKE 'SELECT COUNT(*) INTO v_locked FROM doctor %%FOR UPDATE'", (thread_id,))[0][0]:
            return
        time.sleep(0.01)
    raise AssertionError(f"session {thread_id} never asked for the doctor's row lock")


def test_a_second_session_waits_for_the_first_and_then_sees_its_template(db, sched, migrated):
    """The first session's template is not yet committed when the second adds an overlapping
    one: without the doctor's row lock the second would not see it, and both would be kept."""
    doctor = sched.doctor()
    first, second = connect(migrated, autocommit=False), connect(migrated)
    outcome: list = []

    def add_second() -> None:
        try:
            add(second, doctor, "10:00", "14:00")
            outcome.append(("ok",))
        except pymysql.err.MySQLError as exc:
            outcome.append(("error", exc.args[0], exc.args[1]))

    try:
        kept = add(first, doctor, "08:00", "12:00")
        thread = threading.Thread(target=add_second)
        thread.start()
        wait_until_waiting_for_the_doctor(db, second.thread_id())
        first.commit()
        thread.join(30)
    finally:
        first.close()
        second.close()
    assert outcome == [("error", errcodes.SIGNAL_EXCEPTION,
                        f"doctor_availability: overlaps template {kept} (Mon 08:00-12:00, 2020-01-01..open); {HINT}")]
    assert templates(db, doctor) == 1


def test_six_sessions_adding_overlapping_templates_at_once_keep_one(db, sched, migrated):
    doctor = sched.doctor()
    outcomes = race(migrated, lambda conn, i: add(conn, doctor, f"{8 + i % 3:02d}:00", "13:00",
                                                  valid_from=f"202{i}-01-01"), 6)
    assert sum(o[0] == "ok" for o in outcomes) == 1, outcomes
    assert all(o[1] == errcodes.SIGNAL_EXCEPTION and "overlaps template" in o[2] for o in outcomes if o[0] == "error")
    assert templates(db, doctor) == 1


def test_each_free_slot_is_listed_once(db, sched):
    """What overlapping templates broke: a slot listed twice, a booking ambiguous between them."""
    doctor = sched.doctor()
    add(db, doctor, "09:00", "10:00")
    code, _ = refusal(db, INSERT, (doctor, 0, "09:30", "11:00", "2020-01-01", None))
    assert code == errcodes.SIGNAL_EXCEPTION
    day = monday(112)
    rows = query(db, "CALL find_free_slots(%s, NULL, %s, %s, 50)", (doctor, at(day, "00:00"), at(day, "23:00")))
    assert [r[1] for r in rows] == [at(day, "09:00"), at(day, "09:30")]
