"""The routine ticket (V047, routine_ticket_take/_release/_held): a row of hms_ticket.routine_ticket
inside the payment and stock routines' own transactions, never committed, written by no hms role;
no DDL per call; one table serving every hms database on the server; a database restored from a
dump (its routines owned by the restore account, which holds nothing on hms_ticket) falls back to
the older temporary-table ticket."""

from __future__ import annotations

import os
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pymysql
import pytest

from hms import errcodes
from hms.backup import create_backup
from hms.backup.restore import restore_backup
from hms.backup.restore_account import account_name
from hms.connection import connect
from hms.migrations import Migrator
from tests.sql import billing_support
from tests.sql.billing_support import call, refused, run
from tests.support import Clinic, query

LATER = date.today() + timedelta(days=200)
TICKET_ROWS = "SELECT COUNT(*) FROM hms_ticket.routine_ticket"
FORGE = "INSERT INTO hms_ticket.routine_ticket (server_id, connection_id) VALUES (@@GLOBAL.server_id, CONNECTION_ID())"
DIRECT_PAYMENT = "INSERT INTO payment (bill_id, kind, amount, method) VALUES (%s, 'Payment', 10, 'Cash')"
DIRECT_MOVE = "INSERT INTO stock_ledger (lot_id, movement, quantity) VALUES (%s, 'Receipt', 5)"


def open_bill(conn, amount: str = "100.00") -> int:
    return billing_support.open_bill(conn, Clinic(conn), amount)


def pay(conn, bill_id: int, amount: str = "10.00", database: str | None = None):
    procedure = f"`{database}`.record_payment" if database else "record_payment"
    return call(conn, procedure, bill_id, amount, "Card", "ticket", None)


def a_lot(conn) -> int:
    setup = Clinic(conn).prescribing_setup(stock=0)
    return call(conn, "stock_receive", setup["department"], setup["medication"], "T-1", LATER, 10, "delivery")


def ddl_count(conn) -> int:
    """The session's CREATE TABLE and DROP TABLE statements so far, temporary ones included (MariaDB
    counts those apart, MySQL with the others), statements inside routines included."""
    rows = query(conn, "SHOW SESSION STATUS WHERE Variable_name IN ('Com_create_table', 'Com_drop_table', "
                       "'Com_create_temporary_table', 'Com_drop_temporary_table')")
    return sum(int(value) for _, value in rows)


def paid(conn, bill_id: int) -> Decimal:
    (total,), = query(conn, "SELECT COALESCE(SUM(amount), 0) FROM payment WHERE bill_id = %s", (bill_id,))
    return total


@pytest.fixture(scope="module")
def second_database(server_info, migrated):
    """A second migrated hms database on the session's server (its routines owned by the admin)."""
    name = f"hms_t{os.getpid()}_ticket2"
    drop = [name, f"{name}_console"]
    admin = connect(server_info, database=None)
    try:
        for database in drop:
            run(admin, f"DROP DATABASE IF EXISTS `{database}`")
        Migrator(server_info.with_database(name), include_roles=False).migrate()
        yield server_info.with_database(name)
    finally:
        for database in drop:
            run(admin, f"DROP DATABASE IF EXISTS `{database}`")
        admin.close()


def test_a_payment_and_a_stock_movement_take_the_ticket_without_ddl_and_commit_no_ticket_row(db):
    bill_id = open_bill(db)
    lot = a_lot(db)
    before = ddl_count(db)
    pay(db, bill_id)
    call(db, "stock_receive", *query(db, "SELECT department_id, medication_id FROM stock_lot WHERE lot_id = %s",
                                     (lot,))[0], "T-1", LATER, 5, "second delivery")
    run(db, "CALL stock_adjust(%s, -1, 'count')", (lot,))
    assert ddl_count(db) == before  # the old ticket was a CREATE and a DROP TEMPORARY TABLE per call
    assert paid(db, bill_id) == Decimal("10.00")
    assert query(db, "SELECT quantity FROM stock_lot WHERE lot_id = %s", (lot,)) == [(14,)]
    assert query(db, TICKET_ROWS) == [(0,)]
    # held only inside the routine: the same session writing directly afterwards is refused
    assert refused(db, DIRECT_PAYMENT, (bill_id,))[1] == \
        "Payments and adjustments are recorded through record_payment and record_adjustment only"


@pytest.mark.parametrize("role", ["hms_developer", "hms_qa"])
def test_developer_and_qa_write_payments_and_stock_only_through_the_routines_and_cannot_forge_the_ticket(
        db, account, role):
    bill_id = open_bill(db)
    lot = a_lot(db)
    conn = connect(account(role), autocommit=False)
    try:
        # refused by the triggers, for the ticket's reason (not for a missing privilege)
        assert refused(conn, DIRECT_PAYMENT, (bill_id,)) == (
            errcodes.SIGNAL_EXCEPTION,
            "Payments and adjustments are recorded through record_payment and record_adjustment only")
        assert refused(conn, DIRECT_MOVE, (lot,))[1].startswith("Stock moves through stock_receive")
        # and the ticket cannot be made by hand: neither the row, nor the older temporary table
        assert refused(conn, FORGE)[0] == errcodes.TABLEACCESS_DENIED
        assert refused(conn, TICKET_ROWS)[0] == errcodes.TABLEACCESS_DENIED
        assert refused(conn, "CREATE TEMPORARY TABLE hms_routine_ticket (held TINYINT)")[0] == \
            errcodes.DB_ACCESS_DENIED
        for helper in ("routine_ticket_take", "routine_ticket_release"):
            assert refused(conn, f"CALL {helper}()")[0] == errcodes.PROCACCESS_DENIED, helper
        assert refused(conn, DIRECT_PAYMENT, (bill_id,))[0] == errcodes.SIGNAL_EXCEPTION
        conn.rollback()
        # the routines work for them, and leave no ticket behind in their open transaction
        pay(conn, bill_id)
        assert refused(conn, DIRECT_PAYMENT, (bill_id,))[0] == errcodes.SIGNAL_EXCEPTION
        conn.rollback()
    finally:
        conn.close()
    assert paid(db, bill_id) == Decimal("10.00")


def test_a_refused_call_rolls_its_ticket_back_and_locks_no_other_session_out(db, migrated, account):
    """An error inside the routine rolls the ticket row back (the handler's ROLLBACK); the release in
    the handler finds no row and deletes nothing, so a caller that keeps its transaction open
    (autocommit off) holds no lock on the ticket table that would stop another session's call."""
    bill_id = open_bill(db, "20.00")
    developer = connect(account("hms_developer"), autocommit=False)
    other = connect(migrated)
    try:
        assert refused(developer, "CALL record_payment(%s, 25, 'Cash', NULL, NULL, @p)", (bill_id,))[1].startswith(
            "Over-payment refused")
        run(developer, "SELECT 1")  # the developer's transaction stays open
        run(other, "SET SESSION innodb_lock_wait_timeout = 2")
        pay(other, bill_id, "5.00")  # would wait 2 s and fail on a gap lock left by the release
        assert refused(developer, DIRECT_PAYMENT, (bill_id,))[0] == errcodes.SIGNAL_EXCEPTION
    finally:
        developer.close()
        other.close()
    assert paid(db, bill_id) == Decimal("5.00")
    assert query(db, TICKET_ROWS) == [(0,)]


def _wait_for_lock_wait(observer, connection_id: int) -> None:
    deadline = time.monotonic() + 30
    while not query(observer, "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = %s "
                              "AND trx_state = 'LOCK WAIT'", (connection_id,))[0][0]:
        assert time.monotonic() < deadline, "the payment never waited for the bill's lock"
        time.sleep(0.2)  # INNODB_TRX is refreshed only after 100 ms without a read


def test_payments_in_two_databases_on_one_server_at_once(db, migrated, second_database):
    """Both databases' routines share hms_ticket.routine_ticket: a payment held inside its routine
    in one (waiting for its bill's lock, its ticket row in place) does not stop one in the other,
    and each row is keyed by its own session."""
    here = open_bill(db)
    other_db = connect(second_database)
    locker, waiter, observer = connect(migrated, autocommit=False), connect(migrated), connect(migrated)
    try:
        there = open_bill(other_db)
        run(locker, "SELECT bill_id FROM billing WHERE bill_id = %s FOR UPDATE", (here,))
        (waiter_id,), = query(waiter, "SELECT CONNECTION_ID()")
        outcome: list = []
        thread = threading.Thread(target=lambda: outcome.append(pay(waiter, here)))
        thread.start()
        try:
            _wait_for_lock_wait(observer, waiter_id)
            run(observer, "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
            assert query(observer, "SELECT server_id = @@GLOBAL.server_id, connection_id FROM hms_ticket.routine_ticket") \
                == [(1, waiter_id)]  # the waiting payment's ticket, not yet committed (and never will be)
            pay(other_db, there, "30.00")  # meanwhile, in the other database
            pay(db, there, "7.00", database=second_database.database)  # a session of the first, the other's routine
        finally:
            locker.rollback()
            thread.join(30)
        assert outcome and outcome[0]
        assert query(observer, TICKET_ROWS) == [(0,)]
    finally:
        for conn in (other_db, locker, waiter, observer):
            conn.close()
    assert paid(db, here) == Decimal("10.00")
    other_db = connect(second_database)
    try:
        assert paid(other_db, there) == Decimal("37.00")
    finally:
        other_db.close()


def test_a_database_restored_from_a_dump_pays_with_the_fallback_ticket(server_info, second_database, tmp_path):
    """A restore replays the dump as the target's restore account, which then owns the routines and
    triggers and holds nothing on hms_ticket: the routines take the temporary-table ticket instead
    (one CREATE and one DROP), and a direct insert is still refused there."""
    source = connect(second_database)
    try:
        bill_id = open_bill(source)
    finally:
        source.close()
    key = tmp_path / "backup.key"
    backup = create_backup(second_database, tmp_path, key_file=key)
    into = f"{second_database.database}_restored"
    try:
        restore_backup(server_info, backup.path, into, key_file=key)
        conn = connect(server_info.with_database(into))
        try:
            (definer,), = query(conn, "SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s "
                                      "AND ROUTINE_NAME = 'record_payment'", (into,))
            assert definer.startswith("hms_restore_")
            before = ddl_count(conn)
            pay(conn, bill_id, "12.00")
            assert ddl_count(conn) == before + 2
            assert paid(conn, bill_id) == Decimal("12.00")
            assert refused(conn, DIRECT_PAYMENT, (bill_id,))[1] == \
                "Payments and adjustments are recorded through record_payment and record_adjustment only"
        finally:
            conn.close()
    finally:
        admin = connect(server_info, database=None)
        try:
            run(admin, f"DROP DATABASE IF EXISTS `{into}`")
            for user, host in query(admin, "SELECT User, Host FROM mysql.user WHERE User = %s", (account_name(into),)):
                run(admin, "DROP USER %s@%s", (user, host))
        finally:
            admin.close()


def test_a_payment_killed_while_it_waits_leaves_its_session_no_ticket(db, migrated, account):
    """KILL QUERY of a record_payment waiting for its bill's lock (its ticket row in place): the
    routine's handler rolls the row back, so the session, its transaction still open, cannot
    write a payment directly afterwards."""
    bill_id = open_bill(db)
    developer = connect(account("hms_developer"), autocommit=False)
    locker, observer = connect(migrated, autocommit=False), connect(migrated)
    try:
        (victim,), = query(developer, "SELECT CONNECTION_ID()")
        run(locker, "SELECT bill_id FROM billing WHERE bill_id = %s FOR UPDATE", (bill_id,))
        outcome: list = []

        def payment() -> None:
            try:
                pay(developer, bill_id)
            except pymysql.err.MySQLError as exc:
                outcome.append(exc.args[0])

        thread = threading.Thread(target=payment)
        thread.start()
        try:
            _wait_for_lock_wait(observer, victim)
            run(observer, f"KILL QUERY {int(victim)}")
            thread.join(30)
        finally:
            locker.rollback()
            thread.join(30)
        assert outcome == [errcodes.QUERY_INTERRUPTED]
        assert refused(developer, DIRECT_PAYMENT, (bill_id,)) == (
            errcodes.SIGNAL_EXCEPTION,
            "Payments and adjustments are recorded through record_payment and record_adjustment only")
        developer.rollback()
    finally:
        for conn in (developer, locker, observer):
            conn.close()
    assert paid(db, bill_id) == Decimal("0")
