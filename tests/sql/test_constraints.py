"""Every constraint refuses what it should, and the server's message reaches the caller."""

from __future__ import annotations

from datetime import date, timedelta

import pymysql
import pytest

from hms import errcodes
from tests.support import future_slot, query, server_error


def refused(db, sql: str, args=None) -> tuple[int, str]:
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        with db.cursor() as cur:
            cur.execute(sql, args)
    return server_error(excinfo)


# The tables of issue 17 (invoices, payments, stock lots), next to the thirteen of the model.
BILLING_AND_PHARMACY_TABLES = ("charge_item", "charge_price", "invoice_line", "payment", "stock_lot", "stock_ledger")
# Scheduling (sql/schema/V014-V029): checked in tests/scheduling/test_scheduling_schema.py.
SCHEDULING_TABLES = ("doctor_availability", "doctor_leave", "public_holiday", "appointment_doctor_claim",
                     "appointment_patient_claim", "appointment_status_history", "waitlist_entry", "waitlist_offer",
                     "walkin_day", "walkin_visit", "doctor_login", "doctor_my_appointments", "doctor_my_patients",
                     "doctor_my_medical_records", "schedule_number")


def test_thirteen_innodb_utf8mb4_tables(db):
    rows = query(db, "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME NOT IN "
                     "('hms_schema_history', 'hms_seed_chunk', 'hms_seed_log', 'dashboard_summary_refresh') "
                     "AND TABLE_NAME NOT LIKE '%%\\_summary' "
                     "AND TABLE_NAME NOT IN %s", (SCHEDULING_TABLES,))
    assert sorted(r[0] for r in rows) == sorted([
        "department", "doctor", "nurse", "receptionist", "room", "medication", "department_medication",
        "patient", "appointment", "billing", "medical_record", "prescription", "prescription_medication",
        *BILLING_AND_PHARMACY_TABLES])
    assert {r[1] for r in rows} == {"InnoDB"}
    assert all(r[2].startswith("utf8mb4") for r in rows)


def test_money_columns_are_decimal(db):
    rows = query(db, "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (SELECT TABLE_NAME FROM information_schema.TABLES "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE') "
                     "AND COLUMN_NAME IN ('unit_price', 'total_amount', 'daily_rate', 'amount', 'line_total')")
    assert len(rows) == 7 and {r[2] for r in rows} == {"decimal"}


def test_fourteen_relationships_are_foreign_keys(db):
    rows = query(db, "SELECT TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
                     "WHERE CONSTRAINT_SCHEMA = DATABASE()")
    pairs = {(r[0], r[1]) for r in rows}
    for pair in [("doctor", "department"), ("nurse", "department"), ("department_medication", "department"),
                 ("department_medication", "medication"), ("appointment", "patient"), ("appointment", "doctor"),
                 ("appointment", "receptionist"), ("patient", "receptionist"), ("billing", "patient"),
                 ("billing", "appointment"), ("medical_record", "patient"), ("medical_record", "doctor"),
                 ("prescription", "medical_record"), ("prescription_medication", "prescription"),
                 ("prescription_medication", "medication"), ("room", "patient")]:
        assert pair in pairs, pair


def test_department_name_is_unique(db, clinic):
    department = clinic.department()
    name = query(db, "SELECT name FROM department WHERE department_id = %s", (department,))[0][0]
    code, message = refused(db, "INSERT INTO department (name, location) VALUES (%s, 'x')", (name,))
    assert code == errcodes.DUPLICATE_KEY and "uq_department_name" in message


def test_staff_email_is_unique(db, clinic):
    doctor = clinic.doctor()
    email = query(db, "SELECT email FROM doctor WHERE doctor_id = %s", (doctor,))[0][0]
    code, message = refused(db, "INSERT INTO doctor (first_name, last_name, specialization, department_id, email, "
                                "license_number, hire_date) SELECT 'A', 'B', 'C', department_id, email, 'LX-dup', "
                                "'2020-01-01' FROM doctor WHERE doctor_id = %s", (doctor,))
    assert code == errcodes.DUPLICATE_KEY and "uq_doctor_email" in message and email


def test_room_number_is_unique(db):
    with db.cursor() as cur:
        cur.execute("INSERT INTO room (room_number, room_type, daily_rate) VALUES ('R-UNIQ-1', 'General', 100)")
    code, message = refused(db, "INSERT INTO room (room_number, room_type, daily_rate) VALUES ('R-UNIQ-1', 'ICU', 900)")
    assert code == errcodes.DUPLICATE_KEY and "uq_room_number" in message


def test_occupied_room_cannot_be_available(db, clinic, dialect):
    patient = clinic.patient()
    code, message = refused(db, "INSERT INTO room (room_number, room_type, daily_rate, is_available, patient_id) "
                                "VALUES ('R-OCC-1', 'Private', 250, TRUE, %s)", (patient,))
    assert code == dialect.check_violation_code and "chk_room_occupied_not_available" in message


def test_negative_price_and_amount_refused(db, clinic, dialect):
    code, message = refused(db, "INSERT INTO medication (name, form, strength, manufacturer, unit_price) "
                                "VALUES ('Neg', 'Tablet', '1 mg', 'Acme', -1)")
    assert code == dialect.check_violation_code and "chk_medication_unit_price" in message
    patient = clinic.patient()
    code, message = refused(db, "INSERT INTO billing (patient_id, total_amount, bill_date, due_date) "
                                "VALUES (%s, -0.01, '2024-01-01', '2024-01-31')", (patient,))
    assert code == dialect.check_violation_code and "chk_billing_total_amount" in message


def test_prescribed_quantity_must_be_positive(db, clinic):
    setup = clinic.prescribing_setup(stock=10)
    code, message = refused(db, "INSERT INTO prescription_medication (prescription_id, medication_id, dosage, "
                                "frequency, duration_days, quantity) VALUES (%s, %s, '1 tab', 'daily', 5, 0)",
                            (setup["prescription"], setup["medication"]))
    assert code == errcodes.SIGNAL_EXCEPTION and "positive" in message


def test_date_of_birth_in_future_refused(db, clinic):
    tomorrow = date.today() + timedelta(days=1)
    code, message = refused(db, "INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, address, "
                                "city) VALUES ('F', 'Uture', %s, 'Male', '1', 'a', 'b')", (tomorrow,))
    assert code == errcodes.SIGNAL_EXCEPTION and message == "Date of birth cannot be in the future"
    patient = clinic.patient()
    code, message = refused(db, "UPDATE patient SET date_of_birth = %s WHERE patient_id = %s", (tomorrow, patient))
    assert message == "Date of birth cannot be in the future"


def test_date_of_birth_before_1900_refused(db, dialect):
    code, message = refused(db, "INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, address, "
                                "city) VALUES ('O', 'Ld', '1850-01-01', 'Male', '1', 'a', 'b')")
    assert code == dialect.check_violation_code and "chk_patient_date_of_birth" in message


def test_icd10_code_shape_checked(db, clinic, dialect):
    doctor, patient = clinic.doctor(), clinic.patient()
    code, message = refused(db, "INSERT INTO medical_record (patient_id, doctor_id, visit_date, diagnosis, icd10_code, "
                                "treatment) VALUES (%s, %s, '2024-01-01', 'x', '12.X', 'y')", (patient, doctor))
    assert code == dialect.check_violation_code and "chk_medical_record_icd10" in message


def test_orphan_foreign_key_refused(db):
    code, message = refused(db, "INSERT INTO doctor (first_name, last_name, specialization, department_id, email, "
                                "license_number, hire_date) VALUES ('N', 'O', 'X', 65000, 'no@dept.org', 'L-none', "
                                "'2020-01-01')")
    assert code == errcodes.NO_REFERENCED_ROW and "fk_doctor_department" in message


def test_doctor_cannot_be_double_booked(db, clinic):
    doctor, p1, p2 = clinic.doctor(), clinic.patient(), clinic.patient()
    slot = future_slot(days=40)
    clinic.appointment(doctor, p1, slot)
    code, message = refused(db, "INSERT INTO appointment (patient_id, doctor_id, starts_at) VALUES (%s, %s, %s)",
                            (p2, doctor, slot))
    assert code == errcodes.DUPLICATE_KEY and "uq_appointment_doctor_slot" in message


def test_cancelled_appointment_frees_the_slot(db, clinic):
    doctor, p1, p2 = clinic.doctor(), clinic.patient(), clinic.patient()
    slot = future_slot(days=41)
    first = clinic.appointment(doctor, p1, slot)
    with db.cursor() as cur:
        cur.execute("UPDATE appointment SET status = 'Cancelled' WHERE appointment_id = %s", (first,))
    clinic.appointment(doctor, p2, slot)
    clinic.appointment(doctor, p1, slot, status="Cancelled")  # several cancelled rows may share a slot
    assert query(db, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s AND starts_at = %s", (doctor, slot)) == [(3,)]
    code, _ = refused(db, "UPDATE appointment SET status = 'Scheduled' WHERE appointment_id = %s", (first,))
    assert code == errcodes.DUPLICATE_KEY


def test_medical_record_cascades_with_patient(db, clinic):
    setup = clinic.prescribing_setup(stock=5)
    with db.cursor() as cur:
        cur.execute("DELETE FROM patient WHERE patient_id = %s", (setup["patient"],))
    assert query(db, "SELECT COUNT(*) FROM medical_record WHERE record_id = %s", (setup["record"],)) == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM prescription WHERE prescription_id = %s", (setup["prescription"],)) == [(0,)]


def test_database_and_columns_share_one_collation(db):
    """Routine variables take the database's collation; columns must match it (no error 1267)."""
    (database_collation,), = query(db, "SELECT @@collation_database")
    column_collations = {r[0] for r in query(
        db, "SELECT DISTINCT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND COLLATION_NAME IS NOT NULL")}
    assert column_collations == {database_collation}
