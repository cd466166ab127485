"""book_appointment and book_slot share their checks and their INSERT (appointment_book_seat):
each refuses in its own name, as before, and every role that may call book_appointment
still books through it."""

from __future__ import annotations

import pymysql
import pytest

from hms import errcodes
from hms.connection import connect
from tests.scheduling.conftest import at, call, monday, refusal
from tests.support import query

UNKNOWN = 4_000_000_000
BOOK_APPOINTMENT = "CALL book_appointment(%s, %s, %s, NULL, 'checks', @hms_booked)"
BOOK_SLOT = "CALL book_slot(%s, %s, %s, %s, NULL, 'checks', @hms_booked)"


def test_both_refuse_an_unknown_patient_doctor_or_receptionist_and_a_bad_duration_in_their_own_name(db, sched):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    starts = at(monday(113), "10:00")
    for routine, sql, extra in (("book_appointment", BOOK_APPOINTMENT, ()), ("book_slot", BOOK_SLOT, (30,))):
        assert refusal(db, sql, (UNKNOWN, doctor, starts) + extra) == (errcodes.SIGNAL_EXCEPTION,
                                                                       f"{routine}: no such patient")
        assert refusal(db, sql, (patient, UNKNOWN, starts) + extra) == (errcodes.SIGNAL_EXCEPTION,
                                                                        f"{routine}: no such doctor")
    for routine, sql, extra in (("book_appointment", BOOK_APPOINTMENT.replace("NULL", "%s", 1), ()),
                                ("book_slot", BOOK_SLOT.replace("NULL", "%s", 1), (30,))):
        assert refusal(db, sql, (patient, doctor, starts) + extra + (UNKNOWN,)) == (
            errcodes.SIGNAL_EXCEPTION, f"{routine}: no such receptionist")
    for minutes in (0, 20, 495):
        assert refusal(db, BOOK_SLOT, (patient, doctor, starts, minutes)) == (
            errcodes.SIGNAL_EXCEPTION, "book_slot: the duration is 15 to 480 minutes, in steps of 15")
    assert query(db, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s", (doctor,)) == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM appointment_doctor_claim WHERE doctor_id = %s", (doctor,)) == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM appointment_patient_claim WHERE patient_id = %s", (patient,)) == [(0,)]


@pytest.mark.parametrize("role", ["hms_qa", "hms_developer"])
def test_every_role_that_may_call_book_appointment_books_through_it(db, sched, account, role):
    """book_appointment runs as its invoker, and so does what it shares with book_slot."""
    doctor, patient = sched.doctor(), sched.patient()
    starts = at(monday(114), "10:30")
    conn = connect(account(role))
    try:
        booked = call(conn, BOOK_APPOINTMENT, (patient, doctor, starts), out="@hms_booked")
    finally:
        conn.close()
    assert query(db, "SELECT patient_id, doctor_id, starts_at, duration_minutes, seat, status FROM appointment "
                     "WHERE appointment_id = %s", (booked,)) == [(patient, doctor, starts, 30, 0, "Scheduled")]


@pytest.mark.parametrize("routine, sql, extra", [("book_appointment", BOOK_APPOINTMENT, ()),
                                                 ("book_slot", BOOK_SLOT, (30,))])
def test_a_lost_lock_wait_inside_a_transaction_is_refused_in_the_callers_name(db, sched, migrated, routine, sql, extra):
    """A holder locks the gap the booking's first claim row goes in; the booking, in a
    transaction of its own with a one-second lock wait, loses it (1205)."""
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    starts = at(monday(115), "09:00")
    holder, booker = connect(migrated, autocommit=False), connect(migrated, autocommit=False)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT appointment_id FROM appointment_doctor_claim WHERE doctor_id = %s AND unit_at = %s "
                        "AND seat = 0 FOR UPDATE", (doctor, starts))
        with booker.cursor() as cur:
            cur.execute("SET SESSION innodb_lock_wait_timeout = 1")
        with pytest.raises(pymysql.err.MySQLError) as excinfo:
            call(booker, sql, (patient, doctor, starts) + extra)
        booker.rollback()
    finally:
        holder.rollback()
        holder.close()
        booker.close()
    assert excinfo.value.args == (errcodes.SIGNAL_EXCEPTION, f"{routine}: the booking lost a lock race and the "
                                  "transaction was rolled back; run the transaction again")
    assert query(db, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s", (doctor,)) == [(0,)]
