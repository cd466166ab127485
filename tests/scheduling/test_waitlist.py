"""The waitlist: a freed slot is offered, in the cancelling transaction, to the first
matching waiting patient; accepting books it; no slot is offered twice, even when
freed and offered from concurrent sessions."""

from __future__ import annotations

import pymysql
import pytest

from tests.scheduling.conftest import at, book, call, monday
from tests.support import query
from tests.support.races import race


def join(db, patient, doctor=None, department=None, days=1200) -> int:
    return call(db, "CALL waitlist_join(%s, %s, %s, NOW(), NOW() + INTERVAL %s DAY, 30, @hms_w)",
                (patient, doctor, department, days), out="@hms_w")


def offers(db, entry) -> list:
    return query(db, "SELECT doctor_id, starts_at, status FROM waitlist_offer WHERE waitlist_id = %s", (entry,))


def test_a_cancellation_offers_the_slot_to_the_first_waiting_patient(db, sched):
    department = sched.department()
    doctor = sched.scheduled_doctor(department)
    holder, first, second = sched.patient(), sched.patient(), sched.patient()
    starts = at(monday(90), "10:00")
    appointment = book(db, holder, doctor, starts)
    entry_first = join(db, first, department=department)
    entry_second = join(db, second, doctor=doctor)
    call(db, "CALL cancel_appointment(%s, 'moved away')", (appointment,))
    assert offers(db, entry_first) == [(doctor, starts, "Open")]
    assert offers(db, entry_second) == []
    (offer,), = query(db, "SELECT offer_id FROM waitlist_offer WHERE waitlist_id = %s", (entry_first,))
    booked = call(db, "CALL waitlist_accept(%s, @hms_b)", (offer,), out="@hms_b")
    assert query(db, "SELECT patient_id, doctor_id, starts_at, status FROM appointment WHERE appointment_id = %s",
                 (booked,)) == [(first, doctor, starts, "Scheduled")]
    assert query(db, "SELECT status FROM waitlist_entry WHERE waitlist_id = %s", (entry_first,)) == [("Booked",)]


def test_an_expired_offer_is_not_accepted_and_the_patient_waits_again(db, sched):
    doctor, holder, waiting = sched.scheduled_doctor(), sched.patient(), sched.patient()
    appointment = book(db, holder, doctor, at(monday(91), "10:00"))
    entry = join(db, waiting, doctor=doctor)
    call(db, "CALL cancel_appointment(%s, NULL)", (appointment,))
    with db.cursor() as cur:
        cur.execute("UPDATE waitlist_offer SET expires_at = NOW() - INTERVAL 1 MINUTE WHERE waitlist_id = %s", (entry,))
    call(db, "CALL waitlist_expire_offers()")
    assert offers(db, entry)[0][2] == "Expired"
    assert query(db, "SELECT status FROM waitlist_entry WHERE waitlist_id = %s", (entry,)) == [("Waiting",)]


def test_one_slot_cancelled_by_two_sessions_is_offered_once(db, sched, migrated):
    doctor, holder = sched.scheduled_doctor(), sched.patient()
    appointment = book(db, holder, doctor, at(monday(92), "10:00"))
    entries = [join(db, sched.patient(), doctor=doctor) for _ in range(2)]
    outcomes = race(migrated, lambda conn, i: call(conn, "CALL cancel_appointment(%s, NULL)", (appointment,)), 2)
    assert sorted(o[0] for o in outcomes) == ["error", "ok"]
    assert query(db, "SELECT COUNT(*) FROM waitlist_offer WHERE doctor_id = %s", (doctor,)) == [(1,)]
    assert len(offers(db, entries[0])) == 1 and offers(db, entries[1]) == []


def test_two_slots_freed_at_once_go_to_two_patients_one_each(db, sched, migrated):
    doctor = sched.scheduled_doctor()
    day = monday(93)
    appointments = [book(db, sched.patient(), doctor, at(day, t)) for t in ("10:00", "11:00")]
    entries = [join(db, sched.patient(), doctor=doctor) for _ in range(2)]
    outcomes = race(migrated, lambda conn, i: call(conn, "CALL cancel_appointment(%s, NULL)", (appointments[i],)), 2)
    assert all(o[0] == "ok" for o in outcomes), outcomes
    assert sorted(len(offers(db, e)) for e in entries) == [1, 1]
    assert query(db, "SELECT COUNT(DISTINCT starts_at) FROM waitlist_offer WHERE doctor_id = %s", (doctor,)) == [(2,)]


def test_an_offer_whose_slot_was_taken_meanwhile_is_lost(db, sched):
    doctor, holder, waiting, walk_up = (sched.scheduled_doctor(), sched.patient(), sched.patient(), sched.patient())
    starts = at(monday(94), "10:00")
    appointment = book(db, holder, doctor, starts)
    entry = join(db, waiting, doctor=doctor)
    call(db, "CALL cancel_appointment(%s, NULL)", (appointment,))
    book(db, walk_up, doctor, starts)
    (offer,), = query(db, "SELECT offer_id FROM waitlist_offer WHERE waitlist_id = %s", (entry,))
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        call(db, "CALL waitlist_accept(%s, @hms_b)", (offer,))
    assert "booked by someone else meanwhile" in excinfo.value.args[1]
    assert offers(db, entry)[0][2] == "Lost"
    assert query(db, "SELECT status FROM waitlist_entry WHERE waitlist_id = %s", (entry,)) == [("Waiting",)]
