"""The read paths a hospital uses: a patient's complete record, patient search, a
doctor's day schedule, and the conflict check behind booking."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pymysql
import pytest

from hms import errcodes
from hms.connection import connect
from tests.support import future_slot, query, server_error


def call(conn, sql: str, args=None) -> list[list[tuple]]:
    """Run a CALL and return every result set it produced (the final OK status excluded)."""
    sets = []
    with conn.cursor() as cur:
        cur.execute(sql, args)
        while True:
            if cur.description:
                sets.append(list(cur.fetchall()))
            if not cur.nextset():
                break
    return sets


def bill(db, patient: int, amount: str, bill_date: str, appointment: int | None = None) -> int:
    with db.cursor() as cur:
        cur.execute("INSERT INTO billing (patient_id, appointment_id, total_amount, bill_date, due_date) "
                    "VALUES (%s, %s, %s, %s, %s + INTERVAL 30 DAY)", (patient, appointment, amount, bill_date, bill_date))
        return cur.lastrowid


def prescribe(db, prescription: int, medication: int, quantity: int) -> None:
    with db.cursor() as cur:
        cur.execute("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
                    "duration_days, quantity) VALUES (%s, %s, '1 tablet', 'twice daily', 7, %s)",
                    (prescription, medication, quantity))


# -- complete patient record ---------------------------------------------------

def test_patient_record_holds_demographics_appointments_records_with_prescriptions_and_bills(db, clinic):
    setup = clinic.prescribing_setup(stock=50)
    doctor, patient, record, prescription = setup["doctor"], setup["patient"], setup["record"], setup["prescription"]
    second_medication = clinic.medication()
    clinic.stock(setup["department"], second_medication, 50)
    prescribe(db, prescription, setup["medication"], 3)
    prescribe(db, prescription, second_medication, 5)
    bare_record = clinic.record(doctor, patient)            # a record with no prescription
    later = clinic.appointment(doctor, patient, future_slot(10), "Scheduled")
    earlier = clinic.appointment(doctor, patient, datetime(2024, 2, 2, 9, 30), "Completed")
    other_patient = clinic.patient()
    clinic.appointment(doctor, other_patient, future_slot(11), "Scheduled")
    bills = [bill(db, patient, "40.00", "2024-02-02", earlier), bill(db, patient, "15.50", "2024-01-05")]
    bill(db, other_patient, "99.00", "2024-01-05")

    demographics, appointments, records, bill_rows = call(db, "CALL get_patient_record(%s)", (patient,))

    assert len(demographics) == 1 and demographics[0][0] == patient
    assert demographics[0][1:4] == ("Pat", "Ient", date(1980, 5, 17))
    today = date.today()
    assert demographics[0][4] == today.year - 1980 - ((today.month, today.day) < (5, 17))
    assert [a[0] for a in appointments] == [earlier, later]
    assert appointments[0][4] == "Ada Lovelace"
    with_meds = [r for r in records if r[0] == record]
    assert [(r[8], r[10], r[16]) for r in with_meds] == sorted(
        [(prescription, setup["medication"], 3), (prescription, second_medication, 5)])
    bare = [r for r in records if r[0] == bare_record]
    assert len(bare) == 1 and bare[0][8] is None and bare[0][10] is None
    assert len(records) == 3
    assert [(b[0], b[4]) for b in bill_rows] == [(bills[1], Decimal("15.50")), (bills[0], Decimal("40.00"))]


def test_patient_record_of_unknown_patient_is_refused(db):
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        call(db, "CALL get_patient_record(%s)", (4_000_000_000,))
    code, message = server_error(excinfo)
    assert code == errcodes.SIGNAL_EXCEPTION and "no such patient" in message


# -- patient search --------------------------------------------------------------

def search(db, term: str, max_rows: int | None = 20) -> list[tuple]:
    (rows,) = call(db, "CALL search_patients(%s, %s)", (term, max_rows))
    return rows


def test_search_by_last_name_prefix_is_in_name_order(db, family):
    prefix, ids = family
    rows = search(db, prefix + "Berg")
    expected = sorted(((prefix + last, first, pid) for (first, last), pid in ids.items() if last.startswith("Berg")))
    assert [(r[2], r[1], r[0]) for r in rows] == expected


def test_search_honours_max_rows(db, family):
    prefix, ids = family
    assert len(search(db, prefix, 2)) == 2
    assert len(search(db, prefix, None)) == 5


def test_search_last_comma_first_prefix(db, family):
    prefix, ids = family
    rows = search(db, f"{prefix}Berg, Jo")
    assert [r[0] for r in rows] == [ids[("Joanna", "Berg")], ids[("Jon", "Berg")]]


def test_search_by_phone_and_email_prefix(db, family):
    prefix, ids = family
    assert [r[0] for r in search(db, f"+47-{prefix[2:]}-3")] == [ids[("Kim", "Bergman")]]
    assert [r[0] for r in search(db, f"{prefix.lower()}.lea@")] == [ids[("Lea", "Dahl")]]


def test_search_treats_wildcards_literally(db, family):
    prefix, _ = family
    assert search(db, prefix + "%") == []
    assert search(db, prefix[:-1] + "_") == []


def test_search_refuses_empty_term_and_silly_limits(db):
    for term, rows in (("  ", 20), ("Smith", 0), ("Smith", 5000)):
        with pytest.raises(pymysql.err.MySQLError) as excinfo:
            search(db, term, rows)
        assert server_error(excinfo)[0] == errcodes.SIGNAL_EXCEPTION


# -- a doctor's day schedule --------------------------------------------------------

def test_day_schedule_lists_that_doctors_day_in_time_order(db, clinic):
    doctor, other_doctor = clinic.doctor(), clinic.doctor()
    patient = clinic.patient()
    day = date.today() + timedelta(days=20)
    at = lambda h, m=0: datetime(day.year, day.month, day.day, h, m)  # noqa: E731
    afternoon = clinic.appointment(doctor, patient, at(14, 30))
    morning = clinic.appointment(doctor, patient, at(9))
    cancelled = clinic.appointment(doctor, patient, at(11), "Cancelled")
    clinic.appointment(doctor, patient, at(9) + timedelta(days=1))          # next day
    clinic.appointment(doctor, patient, at(0) - timedelta(minutes=30))      # the evening before
    clinic.appointment(other_doctor, patient, at(10))                       # someone else

    (rows,) = call(db, "CALL get_doctor_day_schedule(%s, %s)", (doctor, day))

    assert [r[0] for r in rows] == [morning, cancelled, afternoon]
    assert [r[3] for r in rows] == ["Scheduled", "Cancelled", "Scheduled"]
    assert all(r[2] - r[1] == timedelta(minutes=30) for r in rows)
    assert rows[0][5] == "Pat Ient"


def test_day_schedule_of_unknown_doctor_is_refused(db):
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        call(db, "CALL get_doctor_day_schedule(%s, %s)", (4_000_000_000, date.today()))
    assert "no such doctor" in server_error(excinfo)[1]


# -- the booking conflict check ------------------------------------------------------

def slot_free(db, doctor: int, at: datetime) -> bool:
    return bool(query(db, "SELECT doctor_slot_is_free(%s, %s)", (doctor, at))[0][0])


def book(conn, patient: int, doctor: int, at: datetime) -> int:
    with conn.cursor() as cur:
        cur.execute("CALL book_appointment(%s, %s, %s, NULL, 'check-up', @hms_new_id)", (patient, doctor, at))
        cur.execute("SELECT @hms_new_id")
        return cur.fetchone()[0]


def test_conflict_check_follows_bookings_and_cancellations(db, clinic):
    doctor, patient = clinic.doctor(), clinic.patient()
    slot = future_slot(days=45, hour=11, minute=30)
    assert slot_free(db, doctor, slot)
    appointment = book(db, patient, doctor, slot)
    assert not slot_free(db, doctor, slot)
    assert slot_free(db, doctor, slot + timedelta(minutes=30))
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        book(db, clinic.patient(), doctor, slot)
    assert "is already booked" in server_error(excinfo)[1]
    query(db, "UPDATE appointment SET status = 'Cancelled' WHERE appointment_id = %s", (appointment,))
    assert slot_free(db, doctor, slot)
    assert book(db, patient, doctor, slot) != appointment


def test_concurrent_bookings_of_one_slot_let_exactly_one_through(migrated, db, clinic):
    doctor = clinic.doctor()
    patients = [clinic.patient() for _ in range(8)]
    slot = future_slot(days=46, hour=15)
    outcomes: list[str] = []
    start = threading.Barrier(len(patients))

    def attempt(patient: int) -> None:
        conn = connect(migrated)
        try:
            start.wait()
            book(conn, patient, doctor, slot)
            outcomes.append("booked")
        except pymysql.err.MySQLError as exc:
            outcomes.append("refused" if "already booked" in str(exc) else repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["booked"] + ["refused"] * 7
    assert query(db, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s AND active_slot = %s",
                 (doctor, slot))[0][0] == 1
