"""Variable durations and capacity, and the patient rule, enforced by the claim tables'
primary keys: sequentially, by direct SQL, and between sessions racing at one instant."""

from __future__ import annotations

import random

from hms import errcodes
from tests.scheduling.conftest import at, book, monday, overlapping_pairs, refusal
from tests.support import query
from tests.support.races import race

INSERT = ("INSERT INTO appointment (patient_id, doctor_id, starts_at, duration_minutes, seat, status) "
          "VALUES (%s, %s, %s, %s, %s, 'Scheduled')")


def test_an_overlapping_longer_appointment_is_refused(db, sched):
    doctor = sched.scheduled_doctor(slot=15)
    p1, p2 = sched.patient(), sched.patient()
    day = monday(70)
    book(db, p1, doctor, at(day, "09:00"), 60)
    code, message = refusal(db, "CALL book_slot(%s, %s, %s, 30, NULL, NULL, @a)", (p2, doctor, at(day, "09:45")))
    assert code == errcodes.SIGNAL_EXCEPTION and f"doctor {doctor} is already booked" in message
    code, message = refusal(db, INSERT, (p2, doctor, at(day, "08:30"), 45, 0))  # direct SQL: by key
    assert code == errcodes.DUPLICATE_KEY and f"doctor {doctor} is already booked at" in message
    assert book(db, p2, doctor, at(day, "10:00"), 15)  # right after: free
    assert query(db, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s", (doctor,)) == [(2,)]


def test_a_slot_takes_as_many_patients_as_its_capacity(db, sched):
    doctor = sched.scheduled_doctor(slot=30, capacity=2)
    patients = [sched.patient() for _ in range(3)]
    starts = at(monday(71), "10:00")
    first, second = (book(db, p, doctor, starts) for p in patients[:2])
    assert query(db, "SELECT seat FROM appointment WHERE appointment_id IN (%s, %s) ORDER BY seat",
                 (first, second)) == [(0,), (1,)]
    code, message = refusal(db, "CALL book_slot(%s, %s, %s, 30, NULL, NULL, @a)", (patients[2], doctor, starts))
    assert code == errcodes.SIGNAL_EXCEPTION and "already booked" in message
    code, _ = refusal(db, INSERT, (patients[2], doctor, starts, 30, 2))  # a seat beyond capacity
    assert code == errcodes.SIGNAL_EXCEPTION


def test_a_patient_cannot_hold_two_overlapping_appointments(db, sched):
    d1, d2 = sched.scheduled_doctor(), sched.scheduled_doctor()
    patient = sched.patient()
    day = monday(72)
    book(db, patient, d1, at(day, "09:00"), 60)
    code, message = refusal(db, "CALL book_slot(%s, %s, %s, 30, NULL, NULL, @a)", (patient, d2, at(day, "09:30")))
    assert code == errcodes.SIGNAL_EXCEPTION and f"patient {patient} already has an appointment" in message
    code, _ = refusal(db, INSERT, (patient, d2, at(day, "08:30"), 60, 0))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert book(db, patient, d2, at(day, "10:00"), 30)


def test_a_cancelled_appointment_frees_its_time(db, sched):
    doctor, p1, p2 = sched.scheduled_doctor(), sched.patient(), sched.patient()
    starts = at(monday(73), "09:00")
    first = book(db, p1, doctor, starts, 60)
    with db.cursor() as cur:
        cur.execute("UPDATE appointment SET status = 'Cancelled' WHERE appointment_id = %s", (first,))
    assert book(db, p2, doctor, starts, 60)
    assert book(db, p1, sched.scheduled_doctor(), starts, 60)  # the patient is free again too


def test_the_existing_30_minute_rows_and_book_appointment_keep_their_rule(db, sched):
    doctor, p1, p2 = sched.scheduled_doctor(), sched.patient(), sched.patient()
    starts = at(monday(74), "10:30")
    with db.cursor() as cur:
        cur.execute("CALL book_appointment(%s, %s, %s, NULL, 'check-up', @aid)", (p1, doctor, starts))
    code, message = refusal(db, "CALL book_appointment(%s, %s, %s, NULL, NULL, @aid)", (p2, doctor, starts))
    assert message == f"book_appointment: doctor {doctor} is already booked at {starts:%Y-%m-%d %H:%M}"
    assert query(db, "SELECT COUNT(*) FROM appointment_doctor_claim WHERE doctor_id = %s", (doctor,)) == [(2,)]


def test_sixteen_sessions_booking_one_slot_leave_one(db, sched, migrated):
    doctor = sched.scheduled_doctor()
    patients = [sched.patient() for _ in range(16)]
    starts = at(monday(75), "11:00")
    outcomes = race(migrated, lambda conn, i: book(conn, patients[i], doctor, starts), 16)
    assert sum(o[0] == "ok" for o in outcomes) == 1
    assert all("already booked" in o[2] for o in outcomes if o[0] == "error"), outcomes
    assert query(db, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s", (doctor,)) == [(1,)]


def test_overlapping_variable_lengths_racing_never_overlap(db, sched, migrated):
    doctor = sched.scheduled_doctor(slot=15, capacity=2)
    patients = [sched.patient() for _ in range(16)]
    day = monday(76)
    rng = random.Random(16)
    requests = [(at(day, f"{9 + q // 4:02d}:{15 * (q % 4):02d}"), rng.choice((15, 30, 45, 60)))
                for q in (rng.randrange(0, 8) for _ in range(16))]
    outcomes = race(migrated, lambda conn, i: book(conn, patients[i], doctor, *requests[i]), 16)
    assert any(o[0] == "ok" for o in outcomes) and any(o[0] == "error" for o in outcomes)
    assert all("already booked" in o[2] or "heavy demand" in o[2] for o in outcomes if o[0] == "error"), outcomes
    assert overlapping_pairs(db, "doctor_id", doctor) == 0
    # at most two (the capacity) at any quarter hour
    assert query(db, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM appointment_doctor_claim "
                     "WHERE doctor_id = %s GROUP BY unit_at) AS per_unit", (doctor,))[0][0] <= 2


def test_one_patient_racing_with_two_doctors_gets_one(db, sched, migrated):
    doctors = [sched.scheduled_doctor() for _ in range(8)]
    patient = sched.patient()
    day = monday(77)
    outcomes = race(migrated, lambda conn, i: book(conn, patient, doctors[i], at(day, "09:00") if i % 2 else
                                                   at(day, "09:30"), 60), 8)
    assert sum(o[0] == "ok" for o in outcomes) == 1, outcomes
    assert overlapping_pairs(db, "patient_id", patient) == 0


def test_capacity_race_fills_each_place_once(db, sched, migrated):
    doctor = sched.scheduled_doctor(capacity=3)
    patients = [sched.patient() for _ in range(10)]
    starts = at(monday(78), "14:00")
    outcomes = race(migrated, lambda conn, i: book(conn, patients[i], doctor, starts), 10)
    assert sum(o[0] == "ok" for o in outcomes) == 3, outcomes
    assert query(db, "SELECT seat FROM appointment WHERE doctor_id = %s ORDER BY seat", (doctor,)) == [(0,), (1,), (2,)]
