"""Invoices: lines whose sum the bill's total always is, built once per visit from what it recorded."""

from __future__ import annotations

from decimal import Decimal

from hms import errcodes
from tests.support.races import race
from tests.sql.billing_support import bill, call, completed_visit, priced_department, refused, run
from tests.support import query


def test_an_invoice_bills_the_consultation_at_todays_price_and_the_prescribed_medications(db, clinic):
    department = priced_department(clinic, db, consultation="80.00")
    medication = clinic.medication(unit_price="2.50")
    clinic.stock(department, medication, 100)
    visit = completed_visit(clinic, db, department, medication, units=4)

    bill_id = call(db, "create_invoice_for_visit", visit)

    lines = query(db, "SELECT description, quantity, unit_price, line_total FROM invoice_line WHERE bill_id = %s "
                      "ORDER BY line_id", (bill_id,))
    assert [line[1:] for line in lines] == [(Decimal("1.00"), Decimal("80.00"), Decimal("80.00")),
                                            (Decimal("4.00"), Decimal("2.50"), Decimal("10.00"))]
    assert bill(db, bill_id) == (Decimal("90.00"), "Pending")


def test_calling_it_twice_gives_one_invoice(db, clinic):
    visit = completed_visit(clinic, db, priced_department(clinic, db))
    first = call(db, "create_invoice_for_visit", visit)
    assert call(db, "create_invoice_for_visit", visit) == first
    assert query(db, "SELECT COUNT(*) FROM billing WHERE appointment_id = %s", (visit,)) == [(1,)]


def test_two_concurrent_generations_for_one_visit_make_one_invoice(db, clinic, migrated):
    visit = completed_visit(clinic, db, priced_department(clinic, db))
    outcomes = race(migrated, lambda conn, i: call(conn, "create_invoice_for_visit", visit), 2)
    assert [o[0] for o in outcomes] == ["ok", "ok"] and outcomes[0][1] == outcomes[1][1]
    assert query(db, "SELECT COUNT(*) FROM billing WHERE appointment_id = %s", (visit,)) == [(1,)]
    assert query(db, "SELECT COUNT(*) FROM invoice_line WHERE bill_id = %s", (outcomes[0][1],)) == [(1,)]


def test_a_scheduled_visit_is_not_billed_and_nothing_is_left_behind(db, clinic):
    department = priced_department(clinic, db)
    from tests.support import future_slot
    visit = clinic.appointment(clinic.doctor(department), clinic.patient(), future_slot(days=40))
    code, message = refused(db, "CALL create_invoice_for_visit(%s, @b)", (visit,))
    assert code == errcodes.SIGNAL_EXCEPTION and "is Scheduled: only a completed visit or a no-show" in message
    assert query(db, "SELECT COUNT(*) FROM billing WHERE appointment_id = %s", (visit,)) == [(0,)]


def test_a_department_without_a_consultation_price_is_refused_with_the_fix(db, clinic):
    department = clinic.department()
    visit = completed_visit(clinic, db, department)
    code, message = refused(db, "CALL create_invoice_for_visit(%s, @b)", (visit,))
    assert message.startswith(f"create_invoice_for_visit: no consultation price for department {department}")
    assert query(db, "SELECT COUNT(*) FROM billing WHERE appointment_id = %s", (visit,)) == [(0,)]


def test_lines_keep_the_total_and_a_hand_edit_of_the_total_is_refused(db, clinic):
    bill_id = call(db, "create_invoice_for_visit", completed_visit(clinic, db, priced_department(clinic, db)))
    run(db, "INSERT INTO invoice_line (bill_id, description, quantity, unit_price, discount_percent, tax_percent) "
            "VALUES (%s, 'Dressing', 3, 10.00, 10, 25)", (bill_id,))  # 3 x 10 less 10 % plus 25 % = 33.75
    assert bill(db, bill_id)[0] == Decimal("113.75")
    run(db, "UPDATE invoice_line SET quantity = 1 WHERE bill_id = %s AND description = 'Dressing'", (bill_id,))
    assert bill(db, bill_id)[0] == Decimal("91.25")
    code, message = refused(db, "UPDATE billing SET total_amount = 5 WHERE bill_id = %s", (bill_id,))
    assert code == errcodes.SIGNAL_EXCEPTION and message.startswith(f"Bill {bill_id} totals its lines (91.25)")
    run(db, "DELETE FROM invoice_line WHERE bill_id = %s AND description = 'Dressing'", (bill_id,))
    assert bill(db, bill_id)[0] == Decimal("80.00")


def test_the_summary_follows_invoice_lines(db, clinic):
    visit = completed_visit(clinic, db, priced_department(clinic, db))
    bill_id = call(db, "create_invoice_for_visit", visit)
    (patient,), = query(db, "SELECT patient_id FROM billing WHERE bill_id = %s", (bill_id,))
    run(db, "INSERT INTO invoice_line (bill_id, description, unit_price) VALUES (%s, 'X-ray', 20.00)", (bill_id,))
    assert query(db, "SELECT bills, total_billed FROM patient_billing_summary WHERE patient_id = %s",
                 (patient,)) == [(1, Decimal("100.00"))]


def test_calculate_discounted_bill_keeps_working(db):
    assert query(db, "SELECT calculate_discounted_bill(200.00, 15)") == [(Decimal("170.00"),)]
