"""Stock lots and the ledger: on-hand is the ledger's sum, prescriptions dispense first expired
first out across lots, short usable stock is refused, and only the routines move stock."""

from __future__ import annotations

from datetime import date, timedelta

from hms import errcodes
from hms.connection import connect
from tests.support.races import race
from tests.sql.billing_support import PRESCRIBE, call, ledger_matches, lots, refused, run, stock
from tests.support import query

SOON, LATER, LAST = (date.today() + timedelta(days=d) for d in (10, 200, 400))


def receive(conn, department: int, medication: int, lot: str, expiry, units: int) -> int:
    return call(conn, "stock_receive", department, medication, lot, expiry, units, "delivery")


def lot_setup(clinic, db, spread: dict[str, tuple]) -> dict:
    """A prescribing department with no stock but the lots of `spread` ({lot: (expiry, units)})."""
    setup = clinic.prescribing_setup(stock=0)
    for lot, (expiry, units) in spread.items():
        receive(db, setup["department"], setup["medication"], lot, expiry, units)
    return setup


def expire(db, department: int, medication: int, lot: str) -> None:
    """Back-date a lot's expiry (a lot cannot be received expired; it gets old)."""
    run(db, "UPDATE stock_lot SET expiry_date = CURDATE() - INTERVAL 3 DAY WHERE department_id = %s "
            "AND medication_id = %s AND lot_number = %s", (department, medication, lot))


def test_receipts_make_lots_whose_sum_is_the_stock(db, clinic):
    s = lot_setup(clinic, db, {"B-LATER": (LATER, 30), "A-SOON": (SOON, 5)})
    assert stock(db, s["department"], s["medication"]) == 35
    assert lots(db, s["department"], s["medication"]) == {"B-LATER": 30, "A-SOON": 5}
    assert ledger_matches(db, s["department"], s["medication"])


def test_a_prescription_dispenses_first_expired_first_out_across_lots(db, clinic):
    s = lot_setup(clinic, db, {"C-LAST": (LAST, 50), "A-SOON": (SOON, 5), "B-LATER": (LATER, 8)})
    run(db, PRESCRIBE, (s["prescription"], s["medication"], 10))
    assert lots(db, s["department"], s["medication"]) == {"C-LAST": 50, "A-SOON": 0, "B-LATER": 3}
    assert query(db, "SELECT COUNT(*), SUM(quantity) FROM stock_ledger WHERE prescription_id = %s "
                     "AND movement = 'Dispense'", (s["prescription"],)) == [(2, -10)]
    assert ledger_matches(db, s["department"], s["medication"])


def test_expired_lots_are_skipped_and_short_usable_stock_is_refused(db, clinic):
    s = lot_setup(clinic, db, {"OLD": (SOON, 40), "NEW": (LATER, 6)})
    expire(db, s["department"], s["medication"], "OLD")
    code, message = refused(db, PRESCRIBE, (s["prescription"], s["medication"], 7))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert message == (f"Not enough stock: medication {s['medication']} in department {s['department']} "
                       "has 6 units, 7 requested (40 more expired)")
    assert query(db, "SELECT COUNT(*) FROM prescription_medication WHERE prescription_id = %s",
                 (s["prescription"],)) == [(0,)]
    run(db, PRESCRIBE, (s["prescription"], s["medication"], 6))
    assert lots(db, s["department"], s["medication"]) == {"OLD": 40, "NEW": 0}
    assert query(db, "SELECT lot_number, quantity FROM stock_expired WHERE department_id = %s",
                 (s["department"],)) == [("OLD", 40)]
    destroyed = call(db, "stock_destroy_expired", s["department"], "expired")
    assert destroyed == 40 and stock(db, s["department"], s["medication"]) == 0
    assert ledger_matches(db, s["department"], s["medication"])


def test_deleting_a_prescription_returns_units_to_their_lots(db, clinic):
    s = lot_setup(clinic, db, {"A": (SOON, 3), "B": (LATER, 20)})
    run(db, PRESCRIBE, (s["prescription"], s["medication"], 9))
    run(db, "UPDATE prescription_medication SET quantity = 5 WHERE prescription_id = %s", (s["prescription"],))
    assert lots(db, s["department"], s["medication"]) == {"A": 0, "B": 18}
    run(db, "DELETE FROM prescription_medication WHERE prescription_id = %s", (s["prescription"],))
    assert lots(db, s["department"], s["medication"]) == {"A": 3, "B": 20}
    assert ledger_matches(db, s["department"], s["medication"])


def test_a_transfer_moves_lots_with_their_expiry(db, clinic):
    s = lot_setup(clinic, db, {"A": (SOON, 4), "B": (LATER, 10)})
    other = clinic.department()
    run(db, "CALL stock_transfer(%s, %s, %s, 6, 'ward restock')", (s["department"], other, s["medication"]))
    assert lots(db, s["department"], s["medication"]) == {"A": 0, "B": 8}
    assert query(db, "SELECT lot_number, expiry_date, quantity FROM stock_lot WHERE department_id = %s "
                     "ORDER BY lot_number", (other,)) == [("A", SOON, 4), ("B", LATER, 2)]
    assert ledger_matches(db, other, s["medication"]) and ledger_matches(db, s["department"], s["medication"])


def test_hand_edits_of_stock_lots_and_the_ledger_are_refused(db, clinic):
    s = lot_setup(clinic, db, {"A": (LATER, 10)})
    d, m = s["department"], s["medication"]
    assert refused(db, "UPDATE department_medication SET stock_quantity = 99 WHERE department_id = %s "
                       "AND medication_id = %s", (d, m))[1].startswith(f"Stock of medication {m} in department {d} "
                                                                       "is the sum of its lots (10)")
    assert refused(db, "UPDATE stock_lot SET quantity = 99 WHERE department_id = %s", (d,))[1].startswith(
        "Lot ")
    assert refused(db, "INSERT INTO stock_lot (department_id, medication_id, lot_number, quantity) "
                       "VALUES (%s, %s, 'Z', 5)", (d, m))[1].startswith("A lot starts empty")
    assert refused(db, "DELETE FROM stock_ledger WHERE department_id = %s", (d,))[1].startswith(
        "Stock ledger rows are never changed or deleted")
    assert stock(db, d, m) == 10 and ledger_matches(db, d, m)


def test_the_ledger_is_written_only_through_the_routines_by_developers(db, clinic, account):
    s = lot_setup(clinic, db, {"A": (LATER, 10)})
    (lot,), = query(db, "SELECT lot_id FROM stock_lot WHERE department_id = %s", (s["department"],))
    developer = connect(account("hms_developer"))
    try:
        assert refused(developer, "INSERT INTO stock_ledger (lot_id, movement, quantity) VALUES (%s, 'Receipt', 5)",
                       (lot,))[1].startswith("Stock moves through stock_receive")
        assert refused(developer, "INSERT INTO stock_ledger (lot_id, movement, quantity, prescription_id) "
                                  "VALUES (%s, 'Return', 5, %s)", (lot, s["prescription"]))[0] == \
            errcodes.SIGNAL_EXCEPTION
        run(developer, "CALL stock_adjust(%s, -2, 'broken in transit')", (lot,))
        receive(developer, s["department"], s["medication"], "B", LATER, 5)
    finally:
        developer.close()
    assert stock(db, s["department"], s["medication"]) == 13
    assert ledger_matches(db, s["department"], s["medication"])


def test_reorder_and_expiry_views(db, clinic):
    s = lot_setup(clinic, db, {"A": (SOON, 5), "B": (LATER, 10)})
    d, m = s["department"], s["medication"]
    assert query(db, "SELECT lot_number, days_left FROM stock_expiring_soon WHERE department_id = %s", (d,)) == \
        [("A", 10)]
    assert query(db, "SELECT * FROM stock_below_reorder WHERE department_id = %s", (d,)) == []
    run(db, "UPDATE department_medication SET reorder_level = 15, reorder_quantity = 100 "
            "WHERE department_id = %s AND medication_id = %s", (d, m))
    assert query(db, "SELECT usable_quantity, reorder_quantity FROM stock_below_reorder WHERE department_id = %s",
                 (d,)) == [(15, 100)]
    run(db, PRESCRIBE, (s["prescription"], m, 6))
    assert query(db, "SELECT units_last_12_months, units_last_30_days FROM medication_monthly_use "
                     "WHERE department_id = %s", (d,)) == [(6, 6)]


def test_two_dispenses_of_the_last_units_one_wins(db, clinic, migrated):
    s = lot_setup(clinic, db, {"A": (SOON, 2), "B": (LATER, 3)})
    second = clinic.prescription(s["record"])
    prescriptions = [s["prescription"], second]
    outcomes = race(migrated, lambda conn, i: run(conn, PRESCRIBE, (prescriptions[i], s["medication"], 5)), 2)
    assert sorted(o[0] for o in outcomes) == ["error", "ok"]
    (error,) = [o for o in outcomes if o[0] == "error"]
    assert error[2].startswith(f"Not enough stock: medication {s['medication']}")
    assert stock(db, s["department"], s["medication"]) == 0
    assert ledger_matches(db, s["department"], s["medication"])


def test_twenty_dispenses_over_three_lots_end_with_the_ledger_equal_to_the_lots(db, clinic, migrated):
    s = lot_setup(clinic, db, {"A": (SOON, 7), "B": (LATER, 7), "C": (LAST, 7)})
    prescriptions = [clinic.prescription(s["record"]) for _ in range(20)]
    outcomes = race(migrated, lambda conn, i: run(conn, PRESCRIBE, (prescriptions[i], s["medication"], 2)), 20)
    assert sum(o[0] == "ok" for o in outcomes) == 10
    assert all(o[2].startswith("Not enough stock") for o in outcomes if o[0] == "error")
    assert lots(db, s["department"], s["medication"]) == {"A": 0, "B": 0, "C": 1}
    assert ledger_matches(db, s["department"], s["medication"])
    assert query(db, "SELECT COUNT(*) FROM stock_lot WHERE quantity < 0") == [(0,)]
