"""Billing and stock for the front desk and for doctors (issue 17), by least privilege, with
real logins: the receptionist invoices a finished visit, takes a payment and reads the
invoice's balance, and is refused adjustments, stock changes and the billing tables; a
doctor reads what is in stock to prescribe and is refused prices, invoices and stock changes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from hms import errcodes
from hms.connection import connect
from tests.sql.billing_support import call, completed_visit, priced_department, refused, run
from tests.support import query

DENIED = (errcodes.TABLEACCESS_DENIED, errcodes.PROCACCESS_DENIED, errcodes.COLUMNACCESS_DENIED)


@pytest.fixture
def login(account):
    """Factory: a connection logged in with a fresh account of `role`; closed afterwards."""
    opened = []

    def make(role: str):
        conn = connect(account(role))
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


def test_the_front_desk_invoices_a_visit_takes_a_payment_and_reads_the_balance(db, clinic, login):
    department = priced_department(clinic, db, consultation="80.00")
    appointment = completed_visit(clinic, db, department)
    desk = login("hms_receptionist")

    bill_id = call(desk, "create_invoice_for_visit", appointment)
    assert call(desk, "create_invoice_for_visit", appointment) == bill_id  # once per visit
    payment = call(desk, "record_payment", bill_id, "30.00", "Card", "desk-1", None)

    assert query(desk, "SELECT total_amount, paid_amount, adjusted_amount, balance, payment_status "
                       "FROM invoice_balance WHERE bill_id = %s", (bill_id,)) == [
        (Decimal("80.00"), Decimal("30.00"), Decimal("0.00"), Decimal("50.00"), "Partially Paid")]
    (who,), = query(db, "SELECT recorded_by FROM payment WHERE payment_id = %s", (payment,))
    assert who.startswith("t_receptionist_")  # the login that took it, not the routine's definer


def test_the_front_desk_is_refused_adjustments_stock_and_the_billing_tables(db, clinic, login):
    department = priced_department(clinic, db)
    appointment = completed_visit(clinic, db, department)
    bill_id = call(db, "create_invoice_for_visit", appointment)
    setup = clinic.prescribing_setup(stock=5)
    desk = login("hms_receptionist")

    for sql, args in [
            ("CALL record_adjustment(%s, 10, 'Write-off', 'bad debt', @p)", (bill_id,)),
            ("CALL record_adjustment(%s, 10, 'Discount', 'loyalty', @p)", (bill_id,)),
            ("CALL stock_adjust(1, -1, 'broken')", ()),
            ("CALL stock_receive(%s, %s, 'L1', CURDATE() + INTERVAL 1 YEAR, 5, 'x', @p)",
             (setup["department"], setup["medication"])),
            ("SELECT * FROM billing WHERE bill_id = %s", (bill_id,)),
            ("SELECT * FROM invoice_line WHERE bill_id = %s", (bill_id,)),
            ("SELECT * FROM payment WHERE bill_id = %s", (bill_id,)),
            ("SELECT * FROM charge_price", ()),
            ("SELECT * FROM medication_availability", ()),
            ("INSERT INTO payment (bill_id, kind, amount, method) VALUES (%s, 'Payment', 1, 'Cash')", (bill_id,)),
            ("UPDATE billing SET payment_status = 'Paid' WHERE bill_id = %s", (bill_id,))]:
        assert refused(desk, sql, args)[0] in DENIED, sql
    assert query(db, "SELECT COUNT(*) FROM payment WHERE bill_id = %s", (bill_id,)) == [(0,)]


def test_a_doctor_reads_usable_stock_and_nothing_of_prices_invoices_or_stock_changes(db, clinic, login):
    setup = clinic.prescribing_setup(stock=0)
    department, medication = setup["department"], setup["medication"]
    for lot, expiry, units in (("D-SOON", date.today() + timedelta(days=20), 4),
                               ("D-LATER", date.today() + timedelta(days=300), 6),
                               ("D-OLD", date.today() + timedelta(days=5), 9)):
        call(db, "stock_receive", department, medication, lot, expiry, units, "delivery")
    run(db, "UPDATE stock_lot SET expiry_date = CURDATE() - INTERVAL 1 DAY WHERE department_id = %s "
            "AND medication_id = %s AND lot_number = 'D-OLD'", (department, medication))
    doctor = login("hms_doctor")

    assert query(doctor, "SELECT usable_quantity, next_expiry FROM medication_availability "
                         "WHERE department_id = %s AND medication_id = %s", (department, medication)) == [
        (10, date.today() + timedelta(days=20))]  # the expired lot's 9 units are not usable
    for sql, args in [
            ("SELECT * FROM stock_lot", ()),
            ("SELECT unit_price FROM medication", ()),
            ("SELECT * FROM charge_price", ()),
            ("SELECT * FROM invoice_balance", ()),
            ("UPDATE charge_price SET unit_price = 0", ()),
            ("UPDATE medication SET unit_price = 0 WHERE medication_id = %s", (medication,)),
            ("CALL stock_adjust(1, -1, 'x')", ()),
            ("CALL record_payment(1, 1, 'Cash', NULL, NULL, @p)", ()),
            ("CALL create_invoice_for_visit(1, @b)", ())]:
        assert refused(doctor, sql, args)[0] in DENIED, sql
