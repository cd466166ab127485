"""Cancel and reschedule as routines (reschedule atomic), and the status history kept
by trigger for every change, including direct SQL."""

from __future__ import annotations

from hms import errcodes
from tests.scheduling.conftest import at, book, call, monday, refusal
from tests.support import query

HISTORY = ("SELECT from_status, to_status, from_starts_at, to_starts_at, reason FROM appointment_status_history "
           "WHERE appointment_id = %s ORDER BY history_id")


def test_cancel_records_who_when_from_to_and_why(db, sched, migrated):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    starts = at(monday(80), "09:00")
    appointment = book(db, patient, doctor, starts)
    call(db, "CALL cancel_appointment(%s, 'patient is ill')", (appointment,))
    assert query(db, HISTORY, (appointment,)) == [(None, "Scheduled", None, starts, "test"),
                                                  ("Scheduled", "Cancelled", starts, starts, "patient is ill")]
    (who,), = query(db, "SELECT DISTINCT changed_by FROM appointment_status_history WHERE appointment_id = %s",
                    (appointment,))
    assert who.split("@")[0] == migrated.user
    code, message = refusal(db, "CALL cancel_appointment(%s, NULL)", (appointment,))
    assert code == errcodes.SIGNAL_EXCEPTION and "is Cancelled; only a Scheduled appointment" in message


def test_a_status_change_by_direct_sql_is_recorded(db, sched):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    starts = at(monday(81), "09:00")
    appointment = book(db, patient, doctor, starts)
    with db.cursor() as cur:
        cur.execute("UPDATE appointment SET status = 'No-show' WHERE appointment_id = %s", (appointment,))
    assert query(db, HISTORY, (appointment,))[-1] == ("Scheduled", "No-show", starts, starts, None)
    assert query(db, "SELECT COUNT(*) FROM appointment_doctor_claim WHERE appointment_id = %s", (appointment,)) == [(0,)]


def test_reschedule_moves_the_appointment_and_its_claims(db, sched):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    day = monday(82)
    appointment = book(db, patient, doctor, at(day, "09:00"), 60)
    call(db, "CALL reschedule_appointment(%s, %s, NULL, 'later')", (appointment, at(day, "09:30")))
    assert query(db, "SELECT starts_at, duration_minutes FROM appointment WHERE appointment_id = %s",
                 (appointment,)) == [(at(day, "09:30"), 60)]
    units = query(db, "SELECT unit_at FROM appointment_doctor_claim WHERE appointment_id = %s ORDER BY unit_at",
                  (appointment,))
    assert [u for (u,) in units] == [at(day, t) for t in ("09:30", "09:45", "10:00", "10:15")]
    assert query(db, HISTORY, (appointment,))[-1] == ("Scheduled", "Scheduled", at(day, "09:00"), at(day, "09:30"),
                                                      "later")


def test_reschedule_onto_a_taken_time_changes_nothing(db, sched):
    doctor, p1, p2 = sched.scheduled_doctor(), sched.patient(), sched.patient()
    day = monday(83)
    mine = book(db, p1, doctor, at(day, "09:00"))
    book(db, p2, doctor, at(day, "11:00"), 60)
    before = query(db, "SELECT * FROM appointment_doctor_claim WHERE doctor_id = %s ORDER BY unit_at", (doctor,))
    history = query(db, HISTORY, (mine,))
    code, message = refusal(db, "CALL reschedule_appointment(%s, %s, 60, NULL)", (mine, at(day, "10:30")))
    assert code == errcodes.SIGNAL_EXCEPTION and "nothing was changed" in message
    assert query(db, "SELECT starts_at, duration_minutes FROM appointment WHERE appointment_id = %s",
                 (mine,)) == [(at(day, "09:00"), 30)]
    assert query(db, "SELECT * FROM appointment_doctor_claim WHERE doctor_id = %s ORDER BY unit_at", (doctor,)) == before
    assert query(db, HISTORY, (mine,)) == history


def test_a_direct_move_onto_a_taken_time_is_refused_whole(db, sched):
    doctor, p1, p2 = sched.scheduled_doctor(), sched.patient(), sched.patient()
    day = monday(84)
    mine = book(db, p1, doctor, at(day, "09:00"))
    book(db, p2, doctor, at(day, "10:00"))
    code, _ = refusal(db, "UPDATE appointment SET starts_at = %s, duration_minutes = 60 WHERE appointment_id = %s",
                      (at(day, "09:30"), mine))
    assert code == errcodes.DUPLICATE_KEY
    assert query(db, "SELECT COUNT(*) FROM appointment_doctor_claim WHERE appointment_id = %s", (mine,)) == [(2,)]
