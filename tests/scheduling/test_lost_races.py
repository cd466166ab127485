"""A reschedule or cancellation that loses a lock race (deadlock) is run again in autocommit
mode, and refused whole inside a caller's transaction, as booking is. Two real sessions make
the deadlock: the holder locks the old slot's claim row, the change waits on it (releasing
the claims), then the holder asks for the appointment row the change holds. The holder has
written more (a few hundred rows it rolls back), so InnoDB picks the change as the victim."""

from __future__ import annotations

import threading
import time

import pymysql

from hms import errcodes
from hms.connection import connect
from tests.scheduling.conftest import at, book, call, monday
from tests.support import query

WEIGHT = ("INSERT INTO public_holiday (holiday_date, name) "
          "SELECT DATE '2199-01-01' + INTERVAL n DAY, 'deadlock weight' FROM schedule_number WHERE n < 300")
CLAIM = "SELECT appointment_id FROM appointment_doctor_claim WHERE doctor_id = %s AND unit_at = %s FOR UPDATE"
APPOINTMENT = "SELECT appointment_id FROM appointment WHERE appointment_id = %s FOR UPDATE"
MOVE = "CALL reschedule_appointment(%s, %s, NULL, 'moved in a race')"
CANCEL = "CALL cancel_appointment(%s, 'cancelled in a race')"


def deadlocks(conn) -> int:
    return int(query(conn, "SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")[0][1])


def wait_until_blocked(conn, thread_id: int) -> None:
    """Return once session `thread_id` runs the release of its old claim rows, where the holder blocks it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if query(conn, "SELECT COUNT(*) FROM information_schema.processlist "
                       "WHERE id = %s AND info LIKE 'DELETE FROM appointment_doctor_claim%%'", (thread_id,))[0][0]:
            return
        time.sleep(0.01)
    raise AssertionError(f"session {thread_id} never reached the claim row the holder locks")


def deadlocked(migrated, db, doctor, appointment, old_start, statement, args, autocommit: bool):
    """Run the change in its own session while a holder forces a deadlock; the change's outcome."""
    holder, mover = connect(migrated), connect(migrated)
    outcome: list = []

    def move() -> None:
        try:
            mover.autocommit(autocommit)
            call(mover, statement, args)
            outcome.append(("ok",))
        except pymysql.err.MySQLError as exc:
            outcome.append(("error", exc.args[0], exc.args[1]))

    try:
        with holder.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(WEIGHT)
            cur.execute(CLAIM, (doctor, old_start))
        thread = threading.Thread(target=move)
        thread.start()
        wait_until_blocked(db, mover.thread_id())
        with holder.cursor() as cur:
            cur.execute(APPOINTMENT, (appointment,))   # closes the cycle; the lighter move is the victim
        holder.rollback()
        thread.join(60)
        return outcome[0]
    finally:
        holder.close()
        mover.close()


def test_a_reschedule_losing_a_deadlock_in_autocommit_is_run_again(db, sched, migrated):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    day = monday(90)
    appointment = book(db, patient, doctor, at(day, "09:00"))
    before = deadlocks(db)
    outcome = deadlocked(migrated, db, doctor, appointment, at(day, "09:00"), MOVE, (appointment, at(day, "10:00")),
                         True)
    assert outcome == ("ok",), outcome
    assert deadlocks(db) > before
    assert query(db, "SELECT starts_at FROM appointment WHERE appointment_id = %s", (appointment,)) == [
        (at(day, "10:00"),)]
    assert query(db, "SELECT unit_at FROM appointment_doctor_claim WHERE appointment_id = %s ORDER BY unit_at",
                 (appointment,)) == [(at(day, "10:00"),), (at(day, "10:15"),)]
    moves = query(db, "SELECT COUNT(*) FROM appointment_status_history WHERE appointment_id = %s "
                      "AND reason = 'moved in a race'", (appointment,))
    assert moves == [(1,)]


def test_a_reschedule_losing_a_deadlock_in_a_transaction_asks_to_run_it_again(db, sched, migrated):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    day = monday(91)
    appointment = book(db, patient, doctor, at(day, "09:00"))
    before = deadlocks(db)
    outcome = deadlocked(migrated, db, doctor, appointment, at(day, "09:00"), MOVE, (appointment, at(day, "10:00")),
                         False)
    assert outcome[:2] == ("error", errcodes.SIGNAL_EXCEPTION), outcome
    assert "lost a lock race" in outcome[2] and "run the transaction again" in outcome[2]
    assert deadlocks(db) > before
    assert query(db, "SELECT starts_at FROM appointment WHERE appointment_id = %s", (appointment,)) == [
        (at(day, "09:00"),)]
    assert query(db, "SELECT COUNT(*) FROM appointment_status_history WHERE appointment_id = %s "
                     "AND reason = 'moved in a race'", (appointment,)) == [(0,)]


def test_a_cancellation_losing_a_deadlock_in_autocommit_is_run_again(db, sched, migrated):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    day = monday(92)
    appointment = book(db, patient, doctor, at(day, "09:00"))
    before = deadlocks(db)
    outcome = deadlocked(migrated, db, doctor, appointment, at(day, "09:00"), CANCEL, (appointment,), True)
    assert outcome == ("ok",), outcome
    assert deadlocks(db) > before
    assert query(db, "SELECT status FROM appointment WHERE appointment_id = %s", (appointment,)) == [("Cancelled",)]
    assert query(db, "SELECT COUNT(*) FROM appointment_doctor_claim WHERE appointment_id = %s", (appointment,)) == [
        (0,)]
    assert query(db, "SELECT COUNT(*) FROM appointment_status_history WHERE appointment_id = %s "
                     "AND reason = 'cancelled in a race'", (appointment,)) == [(1,)]
