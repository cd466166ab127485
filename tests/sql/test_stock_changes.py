"""Changing or deleting a prescribed medication keeps the department's stock right:
raising a quantity takes the difference (refused like a new prescription when stock is
short), lowering it or deleting the row gives units back, also under 20-way races."""

from __future__ import annotations

import random
import threading

import pymysql
import pytest

from hms import errcodes
from hms.connection import connect
from seed import bulk_load
from tests.support import query, server_error

PRESCRIBE = ("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
             "duration_days, quantity) VALUES (%s, %s, '1 tablet', 'twice daily', 7, %s)")
SET_QUANTITY = "UPDATE prescription_medication SET quantity = %s WHERE prescription_id = %s AND medication_id = %s"
RAISE_BY_ONE = ("UPDATE prescription_medication SET quantity = quantity + 1 "
                "WHERE prescription_id = %s AND medication_id = %s")
DELETE = "DELETE FROM prescription_medication WHERE prescription_id = %s AND medication_id = %s"


def stock(db, department: int, medication: int) -> int:
    rows = query(db, "SELECT stock_quantity FROM department_medication WHERE department_id = %s "
                     "AND medication_id = %s", (department, medication))
    return rows[0][0] if rows else None


def quantity(db, prescription: int, medication: int) -> int:
    (value,), = query(db, "SELECT quantity FROM prescription_medication WHERE prescription_id = %s "
                          "AND medication_id = %s", (prescription, medication))
    return value


def run(db, sql: str, args) -> None:
    with db.cursor() as cur:
        cur.execute(sql, args)


def refused(db, sql: str, args) -> tuple[int, str]:
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        run(db, sql, args)
    return server_error(excinfo)


@pytest.fixture
def prescribed(db, clinic):
    """Stock of 50, of which a prescription took 10: (setup, stock left)."""
    setup = clinic.prescribing_setup(stock=50)
    run(db, PRESCRIBE, (setup["prescription"], setup["medication"], 10))
    assert stock(db, setup["department"], setup["medication"]) == 40
    return setup


def test_raising_a_prescribed_quantity_takes_the_difference_from_stock(db, prescribed):
    s = prescribed
    run(db, SET_QUANTITY, (25, s["prescription"], s["medication"]))
    assert stock(db, s["department"], s["medication"]) == 25
    assert quantity(db, s["prescription"], s["medication"]) == 25


def test_lowering_a_prescribed_quantity_gives_the_difference_back(db, prescribed):
    s = prescribed
    run(db, SET_QUANTITY, (3, s["prescription"], s["medication"]))
    assert stock(db, s["department"], s["medication"]) == 47


def test_an_update_that_leaves_the_quantity_alone_changes_no_stock(db, prescribed):
    s = prescribed
    run(db, "UPDATE prescription_medication SET dosage = '2 tablets' WHERE prescription_id = %s",
        (s["prescription"],))
    assert stock(db, s["department"], s["medication"]) == 40


def test_raising_beyond_stock_is_refused_like_a_new_prescription_and_nothing_changes(db, prescribed):
    s = prescribed
    code, message = refused(db, SET_QUANTITY, (51, s["prescription"], s["medication"]))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert message == (f"Not enough stock: medication {s['medication']} in department {s['department']} "
                       f"has 40 units, 41 requested")
    assert stock(db, s["department"], s["medication"]) == 40
    assert quantity(db, s["prescription"], s["medication"]) == 10


def test_a_quantity_set_to_zero_is_refused_with_the_insert_triggers_message(db, prescribed):
    s = prescribed
    code, message = refused(db, SET_QUANTITY, (0, s["prescription"], s["medication"]))
    assert (code, message) == (errcodes.SIGNAL_EXCEPTION, "Prescribed quantity must be a positive number")
    assert stock(db, s["department"], s["medication"]) == 40


def test_deleting_a_prescribed_medication_gives_its_quantity_back(db, prescribed):
    s = prescribed
    run(db, DELETE, (s["prescription"], s["medication"]))
    assert stock(db, s["department"], s["medication"]) == 50


def test_a_stock_row_with_lots_cannot_be_deleted_so_what_comes_back_has_a_lot(db, prescribed):
    s = prescribed
    code, _ = refused(db, "DELETE FROM department_medication WHERE department_id = %s AND medication_id = %s",
                      (s["department"], s["medication"]))
    assert code == errcodes.ROW_IS_REFERENCED
    run(db, DELETE, (s["prescription"], s["medication"]))
    assert stock(db, s["department"], s["medication"]) == 50


def test_moving_a_row_to_another_medication_gives_back_and_takes_anew(db, clinic, prescribed):
    s = prescribed
    other = clinic.medication()
    clinic.stock(s["department"], other, 5)
    run(db, "UPDATE prescription_medication SET medication_id = %s, quantity = 4 "
            "WHERE prescription_id = %s AND medication_id = %s", (other, s["prescription"], s["medication"]))
    assert stock(db, s["department"], s["medication"]) == 50
    assert stock(db, s["department"], other) == 1


def test_moving_a_row_to_an_unstocked_medication_is_refused(db, clinic, prescribed):
    s = prescribed
    unstocked = clinic.medication()
    code, message = refused(db, "UPDATE prescription_medication SET medication_id = %s "
                                "WHERE prescription_id = %s AND medication_id = %s",
                            (unstocked, s["prescription"], s["medication"]))
    assert code == errcodes.SIGNAL_EXCEPTION
    assert message == f"Medication {unstocked} is not stocked in department {s['department']}"
    assert stock(db, s["department"], s["medication"]) == 40


def test_a_session_holding_the_loads_secret_skips_and_afterwards_nobody(db, migrated, prescribed):
    s = prescribed
    with bulk_load.LoaderAccount(migrated) as loader_info:
        secret = bulk_load.bypass_secret(loader_info.password)
        run(db, "SET @hms_seed_loading = %s", (secret,))
        run(db, SET_QUANTITY, (30, s["prescription"], s["medication"]))
        assert stock(db, s["department"], s["medication"]) == 40  # skipped, as for the loader's inserts
    run(db, SET_QUANTITY, (35, s["prescription"], s["medication"]))  # the load is over: the secret is worth nothing
    assert stock(db, s["department"], s["medication"]) == 35
    run(db, DELETE, (s["prescription"], s["medication"]))
    # What comes back is what the ledger dispensed (10, then 5): the skipped change moved nothing.
    assert stock(db, s["department"], s["medication"]) == 50


# -- races ---------------------------------------------------------------------

def race(migrated, workers: int, work) -> list:
    """Run `work(conn, i)` in `workers` threads released at once; return ("ok",) or ("error", code, message)."""
    barrier = threading.Barrier(workers)
    outcomes: list = [None] * workers
    conns = [connect(migrated) for _ in range(workers)]

    def one(i: int) -> None:
        barrier.wait()
        try:
            work(conns[i], i)
            outcomes[i] = ("ok",)
        except pymysql.err.MySQLError as exc:
            outcomes[i] = ("error", exc.args[0], exc.args[1])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for conn in conns:
        conn.close()
    return outcomes


def test_twenty_concurrent_raises_of_one_row_keep_stock_exact(db, migrated, prescribed):
    s = prescribed
    outcomes = race(migrated, 20, lambda conn, i: run(conn, RAISE_BY_ONE, (s["prescription"], s["medication"])))
    assert outcomes == [("ok",)] * 20
    assert quantity(db, s["prescription"], s["medication"]) == 30
    assert stock(db, s["department"], s["medication"]) == 20


def test_twenty_concurrent_changes_of_many_rows_keep_stock_exact(db, migrated, clinic):
    setup = clinic.prescribing_setup(stock=1000)
    prescriptions = [clinic.prescription(setup["record"]) for _ in range(20)]
    for p in prescriptions:
        run(db, PRESCRIBE, (p, setup["medication"], 20))
    assert stock(db, setup["department"], setup["medication"]) == 600
    new = [random.Random(i).randint(1, 40) for i in range(20)]

    def change(conn, i):
        if i % 5 == 4:
            run(conn, DELETE, (prescriptions[i], setup["medication"]))
        else:
            run(conn, SET_QUANTITY, (new[i], prescriptions[i], setup["medication"]))

    assert race(migrated, 20, change) == [("ok",)] * 20
    kept = sum(new[i] for i in range(20) if i % 5 != 4)
    assert stock(db, setup["department"], setup["medication"]) == 1000 - kept
    (prescribed_now,), = query(db, "SELECT SUM(quantity) FROM prescription_medication WHERE medication_id = %s",
                               (setup["medication"],))
    assert prescribed_now == kept


def test_twenty_concurrent_raises_from_ten_units_left_give_ten_and_refuse_ten(db, migrated, clinic):
    setup = clinic.prescribing_setup(stock=30)
    prescriptions = [clinic.prescription(setup["record"]) for _ in range(20)]
    for p in prescriptions:
        run(db, PRESCRIBE, (p, setup["medication"], 1))
    assert stock(db, setup["department"], setup["medication"]) == 10

    outcomes = race(migrated, 20, lambda conn, i: run(conn, RAISE_BY_ONE, (prescriptions[i], setup["medication"])))
    refusals = [o for o in outcomes if o[0] == "error"]
    assert len(refusals) == 10
    assert all(o[1] == errcodes.SIGNAL_EXCEPTION and o[2].startswith("Not enough stock: medication ")
               for o in refusals)
    assert stock(db, setup["department"], setup["medication"]) == 0
    (prescribed_now,), = query(db, "SELECT SUM(quantity) FROM prescription_medication WHERE medication_id = %s",
                               (setup["medication"],))
    assert prescribed_now == 30
