"""What the invoice, payment and stock tests share: a priced visit, calls of the routines, races."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pymysql
import pytest

from tests.support import query, server_error

PRESCRIBE = ("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
             "duration_days, quantity) VALUES (%s, %s, '1 tablet', 'twice daily', 7, %s)")


def run(conn, sql: str, args=None) -> None:
    with conn.cursor() as cur:
        cur.execute(sql, args)


def refused(conn, sql: str, args=None) -> tuple[int, str]:
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        run(conn, sql, args)
    return server_error(excinfo)


def call(conn, procedure: str, *args):
    """CALL a procedure whose last parameter is OUT; return that value."""
    with conn.cursor() as cur:
        cur.execute(f"CALL {procedure}({', '.join(['%s'] * len(args))}, @hms_out)", args)
        cur.execute("SELECT @hms_out")
        return cur.fetchone()[0]


def open_bill(conn, clinic, amount: str = "100.00") -> int:
    """A new bill of one invoice line of `amount`, for a patient of `clinic`."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO billing (patient_id, total_amount, bill_date, due_date) "
                    "VALUES (%s, 0, CURDATE(), CURDATE() + INTERVAL 30 DAY)", (clinic.patient(),))
        bill_id = cur.lastrowid
        cur.execute("INSERT INTO invoice_line (bill_id, description, unit_price) VALUES (%s, 'Visit', %s)",
                    (bill_id, amount))
    return bill_id


def bill(conn, bill_id: int) -> tuple:
    """(total_amount, payment_status) of a bill."""
    (row,) = query(conn, "SELECT total_amount, payment_status FROM billing WHERE bill_id = %s", (bill_id,))
    return row


def stock(conn, department: int, medication: int) -> int:
    (value,), = query(conn, "SELECT stock_quantity FROM department_medication WHERE department_id = %s "
                            "AND medication_id = %s", (department, medication))
    return value


def lots(conn, department: int, medication: int) -> dict[str, int]:
    """{lot_number: quantity} of a department's medication."""
    return dict(query(conn, "SELECT lot_number, quantity FROM stock_lot WHERE department_id = %s "
                            "AND medication_id = %s ORDER BY lot_id", (department, medication)))


def ledger_matches(conn, department: int, medication: int) -> bool:
    """True when each lot is the sum of its ledger rows and the stock the sum of its lots."""
    rows = query(conn, """
        SELECT l.lot_id, l.quantity, COALESCE(SUM(s.quantity), 0)
          FROM stock_lot AS l LEFT JOIN stock_ledger AS s ON s.lot_id = l.lot_id
         WHERE l.department_id = %s AND l.medication_id = %s GROUP BY l.lot_id, l.quantity""",
                 (department, medication))
    return all(q == s for _, q, s in rows) and sum(q for _, q, _ in rows) == stock(conn, department, medication)


def priced_department(clinic, db, consultation: str = "80.00") -> int:
    """A department whose consultation has had two prices (the older one a year ago)."""
    department = clinic.department()
    tag = clinic._tag()
    with db.cursor() as cur:
        cur.execute("INSERT INTO charge_item (code, name, kind, department_id) VALUES (%s, 'Consultation', "
                    "'Consultation', %s)", (f"C-{tag}"[:20], department))
        charge = cur.lastrowid
        cur.execute("INSERT INTO charge_price (charge_id, valid_from, unit_price) VALUES (%s, %s, 50.00), "
                    "(%s, %s, %s)", (charge, date.today() - timedelta(days=365), charge,
                                     date.today() - timedelta(days=30), consultation))
    return department


def completed_visit(clinic, db, department: int, medication: int | None = None, units: int = 4) -> int:
    """A completed appointment yesterday in `department`, with a record and (optionally) a prescription."""
    doctor, patient = clinic.doctor(department), clinic.patient()
    starts = datetime.combine(date.today() - timedelta(days=1), datetime.min.time()).replace(hour=9)
    starts += timedelta(minutes=clinic.n)  # one doctor, distinct slots
    appointment = clinic.appointment(doctor, patient, starts, status="Completed")
    with db.cursor() as cur:
        cur.execute("INSERT INTO medical_record (patient_id, doctor_id, appointment_id, visit_date, diagnosis, "
                    "icd10_code, treatment) VALUES (%s, %s, %s, %s, 'Essential hypertension', 'I10', 'Rest')",
                    (patient, doctor, appointment, starts.date()))
        record = cur.lastrowid
    if medication is not None:
        run(db, PRESCRIBE, (clinic.prescription(record), medication, units))
    return appointment
