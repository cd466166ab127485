"""The stock triggers: no negative stock, and stock follows prescriptions, under concurrency too."""

from __future__ import annotations

import pymysql
import pytest

from hms import errcodes
from tests.support import future_slot, query, server_error
from tests.support.races import race

PRESCRIBE = ("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
             "duration_days, quantity) VALUES (%s, %s, '1 tablet', 'twice daily', 7, %s)")


def stock(db, setup) -> int:
    (value,), = query(db, "SELECT stock_quantity FROM department_medication WHERE department_id = %s "
                          "AND medication_id = %s", (setup["department"], setup["medication"]))
    return value


def refused(db, sql, args) -> tuple[int, str]:
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        with db.cursor() as cur:
            cur.execute(sql, args)
    return server_error(excinfo)


def test_negative_stock_refused_on_insert(db, clinic):
    department, medication = clinic.department(), clinic.medication()
    code, message = refused(db, "INSERT INTO department_medication (department_id, medication_id, stock_quantity) VALUES (%s, %s, -1)", (department, medication))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert message == f"Stock cannot be negative: medication {medication} in department {department} would have -1"


def test_negative_stock_refused_on_update(db, clinic):
    setup = clinic.prescribing_setup(stock=3)
    code, message = refused(db, "UPDATE department_medication SET stock_quantity = stock_quantity - 5 "
                                "WHERE department_id = %s AND medication_id = %s",
                            (setup["department"], setup["medication"]))
    assert code == errcodes.SIGNAL_EXCEPTION and message.startswith("Not enough stock")
    assert stock(db, setup) == 3


def test_prescription_decreases_the_prescribing_departments_stock(db, clinic):
    setup = clinic.prescribing_setup(stock=50)
    other_department = clinic.department()
    clinic.stock(other_department, setup["medication"], 50)
    with db.cursor() as cur:
        cur.execute(PRESCRIBE, (setup["prescription"], setup["medication"], 12))
    assert stock(db, setup) == 38
    assert query(db, "SELECT stock_quantity FROM department_medication WHERE department_id = %s",
                 (other_department,)) == [(50,)]


def test_prescription_of_unstocked_medication_refused(db, clinic):
    setup = clinic.prescribing_setup(stock=50)
    unstocked = clinic.medication()
    code, message = refused(db, PRESCRIBE, (setup["prescription"], unstocked, 1))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert message == f"Medication {unstocked} is not stocked in department {setup['department']}"
    assert query(db, "SELECT COUNT(*) FROM prescription_medication WHERE prescription_id = %s",
                 (setup["prescription"],)) == [(0,)]


def test_prescription_beyond_stock_refused_and_nothing_changes(db, clinic):
    setup = clinic.prescribing_setup(stock=4)
    code, message = refused(db, PRESCRIBE, (setup["prescription"], setup["medication"], 5))
    assert code == errcodes.SIGNAL_EXCEPTION and message.startswith("Not enough stock")
    assert stock(db, setup) == 4
    assert query(db, "SELECT COUNT(*) FROM prescription_medication WHERE prescription_id = %s",
                 (setup["prescription"],)) == [(0,)]


def test_multi_row_insert_is_all_or_nothing(db, clinic):
    setup = clinic.prescribing_setup(stock=10)
    second = clinic.medication()
    clinic.stock(setup["department"], second, 1)
    code, _ = refused(db, "INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
                          "duration_days, quantity) VALUES (%s, %s, 'a', 'b', 1, 4), (%s, %s, 'a', 'b', 1, 2)",
                      (setup["prescription"], setup["medication"], setup["prescription"], second))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert stock(db, setup) == 10


def test_twenty_concurrent_prescriptions_from_stock_of_ten(db, clinic, migrated):
    setup = clinic.prescribing_setup(stock=10)
    prescriptions = [clinic.prescription(setup["record"]) for _ in range(20)]

    def prescribe(conn, i):
        with conn.cursor() as cur:
            cur.execute(PRESCRIBE, (prescriptions[i], setup["medication"], 1))

    outcomes = race(migrated, prescribe, 20)
    successes = [o for o in outcomes if o[0] == "ok"]
    failures = [o for o in outcomes if o[0] == "error"]
    assert len(successes) == 10 and len(failures) == 10
    assert all(o[1] == errcodes.SIGNAL_EXCEPTION and o[2].startswith("Not enough stock") for o in failures)
    assert stock(db, setup) == 0
    (rows,), = query(db, "SELECT COUNT(*) FROM prescription_medication WHERE medication_id = %s",
                     (setup["medication"],))
    assert rows == 10


def test_concurrent_prescriptions_never_lose_a_decrement(db, clinic, migrated):
    setup = clinic.prescribing_setup(stock=1000)
    prescriptions = [clinic.prescription(setup["record"]) for _ in range(20)]

    def prescribe(conn, i):
        with conn.cursor() as cur:
            cur.execute(PRESCRIBE, (prescriptions[i], setup["medication"], i + 1))

    outcomes = race(migrated, prescribe, 20)
    assert all(o[0] == "ok" for o in outcomes)
    assert stock(db, setup) == 1000 - sum(range(1, 21))


def test_twenty_concurrent_bookings_of_one_slot_leave_one(db, clinic, migrated):
    doctor = clinic.doctor()
    patients = [clinic.patient() for _ in range(20)]
    slot = future_slot(days=90, hour=15, minute=30)

    def book(conn, i):
        with conn.cursor() as cur:
            cur.execute("CALL book_appointment(%s, %s, %s, NULL, 'race', @aid)", (patients[i], doctor, slot))

    outcomes = race(migrated, book, 20)
    assert sum(o[0] == "ok" for o in outcomes) == 1
    assert all("already booked" in o[2] for o in outcomes if o[0] == "error")
    assert query(db, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s AND starts_at = %s",
                 (doctor, slot)) == [(1,)]
