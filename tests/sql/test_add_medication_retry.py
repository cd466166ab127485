"""add_medication_with_stock runs its transaction again when it loses a deadlock or a lock
wait, a bounded number of times, then refuses with a clear message: callers never see a
raw 1213 or 1205. Both races are made for real between two sessions."""

from __future__ import annotations

import secrets
import threading
import time

import pymysql

from hms import errcodes
from hms.connection import connect
from tests.support import query

ADD = "CALL add_medication_with_stock(%s, 'Tablet', '5 mg', 'Acme', 1.50, %s, 7, @mid)"
LOCK_WAIT = ("SELECT COUNT(*) FROM information_schema.INNODB_TRX "
             "WHERE trx_mysql_thread_id = %s AND trx_state = 'LOCK WAIT'")


def wait_until_waiting(observer, thread_id: int, caller: threading.Thread, timeout: float = 20) -> None:
    """Return once the session `thread_id` waits for a row lock (or its call has ended)."""
    deadline = time.monotonic() + timeout
    while query(observer, LOCK_WAIT, (thread_id,)) != [(1,)] and caller.is_alive():
        assert time.monotonic() < deadline, "the procedure never waited for the lock"
        time.sleep(0.25)  # INNODB_TRX is a cache, refreshed only when not read for 0.1 s


def call_in_thread(conn, name: str, department: int) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def call() -> None:
        try:
            with conn.cursor() as cur:
                cur.execute(ADD, (name, department))
                cur.execute("SELECT @mid")
                outcome["id"] = cur.fetchone()[0]
        except pymysql.err.MySQLError as exc:
            outcome["error"] = (exc.args[0], exc.args[1])

    thread = threading.Thread(target=call)
    thread.start()
    return thread, outcome


def test_a_lost_deadlock_is_run_again_and_the_medication_is_added(migrated, db, clinic):
    department = clinic.department()
    name = f"Deadlockin-{secrets.token_hex(4)}"
    other = connect(migrated, autocommit=False)  # the transaction that wins the deadlock
    caller = connect(migrated)
    try:
        with other.cursor() as cur:
            # Heavier than the procedure's transaction, so InnoDB picks the procedure as the victim.
            for i in range(50):
                cur.execute("INSERT INTO medication (name, form, strength, manufacturer, unit_price) "
                            "VALUES (%s, 'Tablet', '1 mg', 'Acme', 1)", (f"{name}-ballast-{i}",))
            # Locks the gap where the department's stock rows go (none yet): the procedure's
            # stock row will wait for it, after its medication row is in.
            cur.execute("SELECT * FROM department_medication WHERE department_id = %s FOR UPDATE", (department,))
        thread, outcome = call_in_thread(caller, name, department)
        wait_until_waiting(db, caller.thread_id(), thread)  # its stock row waits for our gap lock
        with other.cursor() as cur:
            # Wants the procedure's medication name while the procedure wants our lock: a deadlock.
            cur.execute("INSERT INTO medication (name, form, strength, manufacturer, unit_price) "
                        "VALUES (%s, 'Tablet', '1 mg', 'Acme', 1)", (name,))
        wait_until_waiting(db, caller.thread_id(), thread)  # the run again now waits for our copy of the name
        other.rollback()
        thread.join(30)
    finally:
        other.close()
        caller.close()
    assert "error" not in outcome, outcome
    assert query(db, "SELECT medication_id FROM medication WHERE name = %s", (name,)) == [(outcome["id"],)]
    assert query(db, "SELECT department_id, stock_quantity FROM department_medication WHERE medication_id = %s",
                 (outcome["id"],)) == [(department, 7)]


def test_a_lock_that_stays_taken_is_refused_clearly_after_eight_tries(migrated, db, clinic):
    department = clinic.department()
    name = f"Lockedout-{secrets.token_hex(4)}"
    other = connect(migrated, autocommit=False)
    caller = connect(migrated)
    try:
        with other.cursor() as cur:
            cur.execute("SELECT department_id FROM department WHERE department_id = %s FOR UPDATE", (department,))
        with caller.cursor() as cur:
            cur.execute("SET SESSION innodb_lock_wait_timeout = 1")
        started = time.monotonic()
        thread, outcome = call_in_thread(caller, name, department)
        thread.join(60)
        took = time.monotonic() - started
        other.rollback()
    finally:
        other.close()
        caller.close()
    assert outcome.get("error") == (errcodes.SIGNAL_EXCEPTION, "add_medication_with_stock: lost a lock race 8 "
                                    "times, nothing was added; try again in a moment")
    assert 8 <= took < 30  # eight waits of one second each, then the refusal
    assert query(db, "SELECT COUNT(*) FROM medication WHERE name = %s", (name,)) == [(0,)]
