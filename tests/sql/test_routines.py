"""Stored functions and procedures do what mission.md section 2 says, errors included."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pymysql
import pytest

from hms import errcodes
from tests.support import future_slot, query, server_error


def call_error(db, sql: str, args=None) -> tuple[int, str]:
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        with db.cursor() as cur:
            cur.execute(sql, args)
            while cur.nextset():
                pass
    return server_error(excinfo)


def years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@pytest.mark.parametrize("born", [date(1980, 5, 17), date(2000, 2, 29), date.today() - timedelta(days=1),
                                  date.today().replace(year=date.today().year - 30)])
def test_calculate_age_in_whole_years(db, born):
    (age,), = query(db, "SELECT calculate_age(%s)", (born,))
    assert age == years_between(born, date.today())


def test_calculate_age_refuses_future_and_passes_null(db):
    code, message = call_error(db, "SELECT calculate_age(%s)", (date.today() + timedelta(days=2),))
    assert code == errcodes.SIGNAL_EXCEPTION and "future" in message
    assert query(db, "SELECT calculate_age(NULL)") == [(None,)]


@pytest.mark.parametrize("amount, percent, expected", [
    ("100.00", "10", "90.00"), ("199.99", "0", "199.99"), ("250.00", "100", "0.00"),
    ("33.33", "12.5", "29.16"), ("0.00", "50", "0.00")])
def test_calculate_discounted_bill(db, amount, percent, expected):
    (value,), = query(db, "SELECT calculate_discounted_bill(%s, %s)", (amount, percent))
    assert value == Decimal(expected)


@pytest.mark.parametrize("percent", ["-0.01", "100.01", "150"])
def test_discount_outside_0_100_is_an_error(db, percent):
    code, message = call_error(db, "SELECT calculate_discounted_bill(100, %s)", (percent,))
    assert code == errcodes.SIGNAL_EXCEPTION and "between 0 and 100" in message


def test_negative_amount_is_an_error(db):
    code, message = call_error(db, "SELECT calculate_discounted_bill(-5, 10)")
    assert "must not be negative" in message


def test_functions_declare_their_characteristics(db):
    rows = dict((r[0], r[1:]) for r in query(
        db, "SELECT ROUTINE_NAME, IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = DATABASE()"))
    assert rows["calculate_age"] == ("NO", "NO SQL", "INVOKER")
    assert rows["calculate_discounted_bill"] == ("YES", "NO SQL", "INVOKER")
    assert rows["get_doctor_appointments"][1:] == ("READS SQL DATA", "INVOKER")
    assert rows["book_appointment"][1:] == ("MODIFIES SQL DATA", "INVOKER")
    assert rows["add_medication_with_stock"][1:] == ("MODIFIES SQL DATA", "INVOKER")


def test_get_doctor_appointments_ordered_by_date_and_time(db, clinic):
    doctor, other = clinic.doctor(), clinic.doctor()
    patient = clinic.patient()
    slots = [future_slot(days=60, hour=14), future_slot(days=59, hour=9, minute=30), future_slot(days=60, hour=9)]
    ids = [clinic.appointment(doctor, patient, slot) for slot in slots]
    clinic.appointment(other, patient, future_slot(days=59, hour=8))
    with db.cursor() as cur:
        cur.execute("CALL get_doctor_appointments(%s)", (doctor,))
        rows = cur.fetchall()
        while cur.nextset():
            pass
    assert [r[0] for r in rows] == [ids[1], ids[2], ids[0]]
    assert [r[1] for r in rows] == sorted(slots)
    assert {r[4] for r in rows} == {"Pat Ient"}


def test_get_doctor_appointments_unknown_doctor(db):
    code, message = call_error(db, "CALL get_doctor_appointments(%s)", (4_000_000_000,))
    assert code == errcodes.SIGNAL_EXCEPTION and "no such doctor" in message


def test_add_medication_with_stock_creates_both_rows(db, clinic):
    department = clinic.department()
    with db.cursor() as cur:
        cur.execute("CALL add_medication_with_stock('Zyrtecal-T1', 'Tablet', '10 mg', 'Acme', 3.20, %s, 40, @mid)",
                    (department,))
        cur.execute("SELECT @mid")
        (medication,), = cur.fetchall()
    assert query(db, "SELECT name, unit_price FROM medication WHERE medication_id = %s", (medication,)) == \
        [("Zyrtecal-T1", Decimal("3.20"))]
    assert query(db, "SELECT department_id, stock_quantity FROM department_medication WHERE medication_id = %s",
                 (medication,)) == [(department, 40)]


def test_add_medication_with_stock_is_all_or_nothing(db, clinic):
    department = clinic.department()
    code, message = call_error(db, "CALL add_medication_with_stock('Halfmade-T2', 'Tablet', '1 mg', 'Acme', 1.00, "
                                   "%s, -5, @mid)", (department,))
    assert "zero or more" in message
    code, message = call_error(db, "CALL add_medication_with_stock('Halfmade-T2', 'Tablet', '1 mg', 'Acme', 1.00, "
                                   "65000, 5, @mid)")
    assert "no such department" in message
    # A failure after the medication row was inserted rolls it back: duplicate name.
    clinic_medication = clinic.medication()
    (name,), = query(db, "SELECT name FROM medication WHERE medication_id = %s", (clinic_medication,))
    code, _ = call_error(db, "CALL add_medication_with_stock(%s, 'Tablet', '1 mg', 'Acme', 1.00, %s, 5, @mid)",
                         (name, department))
    assert code == errcodes.DUPLICATE_KEY
    assert query(db, "SELECT COUNT(*) FROM medication WHERE name = 'Halfmade-T2'") == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM department_medication WHERE department_id = %s", (department,)) == [(0,)]


def test_add_medication_rolls_back_the_medication_when_stock_fails(fresh_database):
    # Make the second insert (the stock row) fail, after the medication row is in:
    # a throwaway trigger in a database of this test's own.
    from hms.connection import connect
    from hms.migrations import Migrator

    Migrator(fresh_database, include_roles=False).migrate()
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO department (name, location) VALUES ('Oncology', 'B')")
            department = cur.lastrowid
            cur.execute("CREATE TRIGGER trg_test_refuse_stock BEFORE INSERT ON department_medication "
                        "FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock refused by test'")
        code, message = call_error(conn, "CALL add_medication_with_stock('Halfway-T3', 'Tablet', '1 mg', 'Acme', "
                                         "1.00, %s, 5, @mid)", (department,))
        assert message == "stock refused by test"
        assert query(conn, "SELECT COUNT(*) FROM medication WHERE name = 'Halfway-T3'") == [(0,)]
    finally:
        conn.close()


def test_book_appointment_books_and_refuses_a_taken_slot(db, clinic):
    doctor, p1, p2 = clinic.doctor(), clinic.patient(), clinic.patient()
    slot = future_slot(days=70, hour=11, minute=30)
    with db.cursor() as cur:
        cur.execute("CALL book_appointment(%s, %s, %s, NULL, 'check-up', @aid)", (p1, doctor, slot))
        cur.execute("SELECT @aid")
        (appointment,), = cur.fetchall()
    assert query(db, "SELECT patient_id, doctor_id, starts_at, status FROM appointment WHERE appointment_id = %s",
                 (appointment,)) == [(p1, doctor, slot, "Scheduled")]
    code, message = call_error(db, "CALL book_appointment(%s, %s, %s, NULL, NULL, @aid)", (p2, doctor, slot))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert message == f"book_appointment: doctor {doctor} is already booked at {slot:%Y-%m-%d %H:%M}"


@pytest.mark.parametrize("slot, reason", [
    (datetime(2001, 1, 1, 9, 0), "in the future"),
    (future_slot(days=5, hour=9, minute=15), "half hour"),
])
def test_book_appointment_refuses_bad_slots(db, clinic, slot, reason):
    doctor, patient = clinic.doctor(), clinic.patient()
    code, message = call_error(db, "CALL book_appointment(%s, %s, %s, NULL, NULL, @aid)", (patient, doctor, slot))
    assert code == errcodes.SIGNAL_EXCEPTION and reason in message


def test_book_appointment_unknown_patient_or_doctor(db, clinic):
    doctor, patient = clinic.doctor(), clinic.patient()
    slot = future_slot(days=6)
    assert "no such patient" in call_error(db, "CALL book_appointment(4000000000, %s, %s, NULL, NULL, @a)",
                                           (doctor, slot))[1]
    assert "no such doctor" in call_error(db, "CALL book_appointment(%s, 4000000000, %s, NULL, NULL, @a)",
                                          (patient, slot))[1]
