"""Payments, refunds and adjustments: the status follows from them, over-payment is refused,
and only the routines (or admin and dba) write them."""

from __future__ import annotations

from decimal import Decimal

from hms import errcodes
from hms.connection import connect
from tests.support.races import race
from tests.sql.billing_support import bill, call, open_bill, refused, run
from tests.support import query


def pay(conn, bill_id: int, amount: str, reason: str | None = None):
    return call(conn, "record_payment", bill_id, amount, "Card", "ref-1", reason)


def test_status_follows_payments_and_refunds(db, clinic):
    bill_id = open_bill(db, clinic)
    pay(db, bill_id, "40.00")
    assert bill(db, bill_id) == (Decimal("100.00"), "Partially Paid")
    pay(db, bill_id, "60.00")
    assert bill(db, bill_id)[1] == "Paid"
    pay(db, bill_id, "-60.00", "wrong amount charged")
    assert bill(db, bill_id)[1] == "Partially Paid"
    assert query(db, "SELECT kind, reason FROM payment WHERE bill_id = %s AND amount < 0", (bill_id,)) == [
        ("Refund", "wrong amount charged")]


def test_over_payment_and_an_unexplained_or_too_large_refund_are_refused(db, clinic):
    bill_id = open_bill(db, clinic)
    pay(db, bill_id, "30.00")
    code, message = refused(db, "CALL record_payment(%s, 70.01, 'Cash', NULL, NULL, @p)", (bill_id,))
    assert (code, message) == (errcodes.SIGNAL_EXCEPTION,
                               f"Over-payment refused: bill {bill_id} has a balance of 70.00, 70.01 offered")
    assert refused(db, "CALL record_payment(%s, -5, 'Cash', NULL, NULL, @p)", (bill_id,))[1] == \
        "record_payment: a refund needs a reason"
    assert refused(db, "CALL record_payment(%s, -30.01, 'Cash', NULL, 'x', @p)", (bill_id,))[1].startswith(
        "Refund refused")
    assert query(db, "SELECT SUM(amount) FROM payment WHERE bill_id = %s", (bill_id,)) == [(Decimal("30.00"),)]


def test_a_write_off_of_the_balance_makes_the_bill_written_off(db, clinic):
    bill_id = open_bill(db, clinic)
    pay(db, bill_id, "25.00")
    call(db, "record_adjustment", bill_id, "75.00", "Write-off", "patient deceased, estate insolvent")
    assert bill(db, bill_id)[1] == "Written Off"
    assert refused(db, "CALL record_adjustment(%s, 1, 'Discount', 'loyalty', @p)", (bill_id,))[1].startswith(
        "Over-payment refused")


def test_a_hand_set_status_must_agree_with_the_payments(db, clinic):
    bill_id = open_bill(db, clinic)
    code, message = refused(db, "UPDATE billing SET payment_status = 'Paid' WHERE bill_id = %s", (bill_id,))
    assert message == f"Bill {bill_id} cannot be Paid: its payments make it Pending; record payments with record_payment"
    run(db, "UPDATE billing SET payment_status = 'Overdue' WHERE bill_id = %s", (bill_id,))
    pay(db, bill_id, "100.00")
    assert refused(db, "UPDATE billing SET payment_status = 'Pending' WHERE bill_id = %s", (bill_id,))[0] == \
        errcodes.SIGNAL_EXCEPTION
    assert refused(db, "INSERT INTO invoice_line (bill_id, description, unit_price) VALUES (%s, 'x', -1)",
                   (bill_id,))[0] in errcodes.CHECK_VIOLATIONS
    assert refused(db, "DELETE FROM payment WHERE bill_id = %s", (bill_id,))[1].startswith(
        "Payments are never changed or deleted")


def test_a_paid_bill_that_gains_a_line_is_partially_paid_again(db, clinic):
    bill_id = open_bill(db, clinic)
    pay(db, bill_id, "100.00")
    run(db, "INSERT INTO invoice_line (bill_id, description, unit_price) VALUES (%s, 'Late lab result', 15.00)",
        (bill_id,))
    assert bill(db, bill_id) == (Decimal("115.00"), "Partially Paid")
    code, message = refused(db, "DELETE FROM invoice_line WHERE bill_id = %s", (bill_id,))
    assert "more than that was paid or adjusted" in message


def test_two_payments_closing_one_invoice_one_wins(db, clinic, migrated):
    bill_id = open_bill(db, clinic)
    pay(db, bill_id, "20.00")
    outcomes = race(migrated, lambda conn, i: pay(conn, bill_id, "80.00"), 2)
    assert sorted(o[0] for o in outcomes) == ["error", "ok"]
    (error,) = [o for o in outcomes if o[0] == "error"]
    assert error[2].startswith(f"Over-payment refused: bill {bill_id} has a balance of 0.00")
    assert bill(db, bill_id)[1] == "Paid"
    assert query(db, "SELECT SUM(amount) FROM payment WHERE bill_id = %s", (bill_id,)) == [(Decimal("100.00"),)]


def test_developers_pay_only_through_the_routine(db, clinic, account):
    bill_id = open_bill(db, clinic)
    developer = connect(account("hms_developer"))
    try:
        code, message = refused(developer, "INSERT INTO payment (bill_id, kind, amount, method) "
                                           "VALUES (%s, 'Payment', 10, 'Cash')", (bill_id,))
        assert message == "Payments and adjustments are recorded through record_payment and record_adjustment only"
        assert refused(developer, "CREATE TEMPORARY TABLE hms_routine_ticket (held TINYINT)")[0] == \
            errcodes.DB_ACCESS_DENIED
        payment = pay(developer, bill_id, "10.00")
        (who,), = query(db, "SELECT recorded_by FROM payment WHERE payment_id = %s", (payment,))
        assert who.startswith("t_developer_")
        # the ticket is gone once the routine returns
        assert refused(developer, "INSERT INTO payment (bill_id, kind, amount, method) "
                                  "VALUES (%s, 'Payment', 10, 'Cash')", (bill_id,))[0] == errcodes.SIGNAL_EXCEPTION
    finally:
        developer.close()
    assert query(db, "SELECT SUM(amount) FROM payment WHERE bill_id = %s", (bill_id,)) == [(Decimal("10.00"),)]


def test_analysts_cannot_record_payments(db, clinic, account):
    bill_id = open_bill(db, clinic)
    analyst = connect(account("hms_analyst"))
    try:
        assert refused(analyst, "CALL record_payment(%s, 1, 'Cash', NULL, NULL, @p)", (bill_id,))[0] == \
            errcodes.PROCACCESS_DENIED
    finally:
        analyst.close()


def test_a_refused_payment_gives_the_ticket_back_and_no_role_takes_it_by_hand(db, clinic, account):
    """The ticket is taken and released by routine_ticket_take/_release alone; an error inside
    the routine releases it too, and the helpers are granted to no role."""
    bill_id = open_bill(db, clinic, "20.00")
    developer = connect(account("hms_developer"))
    try:
        assert refused(developer, "CALL record_payment(%s, 25, 'Cash', NULL, NULL, @p)", (bill_id,))[1].startswith(
            "Over-payment refused")  # the trigger's own words, through the handler's release and RESIGNAL
        assert refused(developer, "INSERT INTO payment (bill_id, kind, amount, method) "
                                  "VALUES (%s, 'Payment', 10, 'Cash')", (bill_id,))[0] == errcodes.SIGNAL_EXCEPTION
        for helper in ("routine_ticket_take", "routine_ticket_release"):
            assert refused(developer, f"CALL {helper}()")[0] == errcodes.PROCACCESS_DENIED, helper
    finally:
        developer.close()
    assert query(db, "SELECT COUNT(*) FROM payment WHERE bill_id = %s", (bill_id,)) == [(0,)]
