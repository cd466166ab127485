"""Availability: templates, leave and public holidays refuse bookings outside them,
for the routines and for direct SQL alike; doctors without templates book as before."""

from __future__ import annotations

from datetime import timedelta

from hms import errcodes
from tests.scheduling.conftest import at, book, monday, refusal
from tests.support import query

INSERT = ("INSERT INTO appointment (patient_id, doctor_id, starts_at, duration_minutes, status) "
          "VALUES (%s, %s, %s, %s, 'Scheduled')")


def test_a_booking_inside_the_template_is_taken(db, sched):
    doctor, patient = sched.scheduled_doctor(start="09:00", end="12:00"), sched.patient()
    appointment = book(db, patient, doctor, at(monday(60), "11:00"), 60)
    assert query(db, "SELECT duration_minutes, status FROM appointment WHERE appointment_id = %s",
                 (appointment,)) == [(60, "Scheduled")]


def test_outside_hours_off_the_grid_or_too_long_is_refused(db, sched):
    doctor, patient = sched.scheduled_doctor(start="09:00", end="12:00", slot=30), sched.patient()
    day = monday(61)
    for starts, minutes in ((at(day, "08:30"), 30), (at(day, "11:45"), 15), (at(day, "09:15"), 30),
                            (at(day, "11:30"), 60), (at(day, "10:00"), 45)):
        code, message = refusal(db, "CALL book_slot(%s, %s, %s, %s, NULL, NULL, @a)", (patient, doctor, starts, minutes))
        assert code == errcodes.SIGNAL_EXCEPTION
        assert message.startswith(f"appointment: doctor {doctor} has no slot at"), message
    code, _ = refusal(db, INSERT, (patient, doctor, at(day, "12:00"), 30))  # direct SQL too
    assert code == errcodes.SIGNAL_EXCEPTION
    assert query(db, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s", (doctor,)) == [(0,)]


def test_a_template_of_another_weekday_or_out_of_validity_does_not_count(db, sched):
    doctor, patient = sched.doctor(), sched.patient()
    day = monday(62)
    sched.template(doctor, weekdays=[1])  # Tuesdays only
    code, _ = refusal(db, INSERT, (patient, doctor, at(day, "10:00"), 30))
    assert code == errcodes.SIGNAL_EXCEPTION
    with db.cursor() as cur:
        cur.execute("UPDATE doctor_availability SET valid_to = %s WHERE doctor_id = %s", (day, doctor))
    code, _ = refusal(db, INSERT, (patient, doctor, at(day + timedelta(days=1), "10:00"), 30))
    assert code == errcodes.SIGNAL_EXCEPTION


def test_leave_refuses_bookings_inside_it(db, sched):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    day = monday(63)
    with db.cursor() as cur:
        cur.execute("INSERT INTO doctor_leave (doctor_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, 'course')",
                    (doctor, at(day, "12:00"), at(day, "14:00")))
    code, message = refusal(db, INSERT, (patient, doctor, at(day, "11:30"), 60))
    assert code == errcodes.SIGNAL_EXCEPTION and f"doctor {doctor} is on leave" in message
    assert book(db, patient, doctor, at(day, "11:30"), 30)  # ends where the leave starts


def test_leave_over_a_scheduled_appointment_is_refused(db, sched):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    day = monday(64)
    book(db, patient, doctor, at(day, "10:00"), 60)
    code, message = refusal(db, "INSERT INTO doctor_leave (doctor_id, starts_at, ends_at) VALUES (%s, %s, %s)",
                            (doctor, at(day, "10:30"), at(day, "18:00")))
    assert code == errcodes.SIGNAL_EXCEPTION and "cancel or move them first" in message


def test_a_public_holiday_refuses_bookings(db, sched):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    day = monday(65)
    with db.cursor() as cur:
        cur.execute("INSERT INTO public_holiday VALUES (%s, 'Test Day')", (day,))
    try:
        code, message = refusal(db, INSERT, (patient, doctor, at(day, "10:00"), 30))
        assert code == errcodes.SIGNAL_EXCEPTION and "is a public holiday" in message
    finally:
        with db.cursor() as cur:
            cur.execute("DELETE FROM public_holiday WHERE holiday_date = %s", (day,))


def test_a_doctor_without_templates_books_as_before(db, clinic):
    doctor, patient = clinic.doctor(), clinic.patient()
    starts = at(monday(66), "20:30")
    with db.cursor() as cur:
        cur.execute("CALL book_appointment(%s, %s, %s, NULL, 'legacy', @aid)", (patient, doctor, starts))
    assert query(db, "SELECT duration_minutes, seat FROM appointment WHERE doctor_id = %s", (doctor,)) == [(30, 0)]
