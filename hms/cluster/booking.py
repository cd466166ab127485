"""Booking a slot from Python: book_appointment() with the retry a Galera commit needs.

book_appointment (sql/routines/book_appointment.sql) retries a deadlock (1213) or lock
wait (1205) raised by its own INSERT. On Galera a conflict can also surface where the
procedure cannot see it: a transaction that loses certification to a write set from
another node is rolled back at COMMIT (outside the procedure when the caller holds a
transaction open), or aborted by the applier mid-statement (brute-force abort); both
reach the client as 1213. Nothing of the booking was kept then, so this path runs the
whole booking again, a bounded number of times, with a short random pause; after the
bound it says so in one line (BookingConflict), and nothing was booked.

Works the same on a single server, where only lock conflicts between sessions give 1213.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime

import pymysql
from pymysql.constants import SERVER_STATUS

from .. import errcodes
from ..connection import error_code, server_message
from ..errors import ConnectionFailed, DatabaseError, HmsError
from .errors import is_not_prepared, not_primary

MAX_ATTEMPTS = 5
RETRYABLE = (errcodes.DEADLOCK, errcodes.LOCK_WAIT_TIMEOUT)
# The procedure's own refusal after its internal retry inside a caller's transaction.
LOST_RACE = "lost a lock race"
# Its refusal after 8 lost races in a row (autocommit): as retryable here as a 1213.
HEAVY_DEMAND = "in heavy demand"
ALREADY_BOOKED = "is already booked"
PATIENT_BUSY = "already has an appointment"   # appointment_patient_claim (sql/schema/V019)
BOOK = "CALL book_appointment(%s, %s, %s, %s, %s, @hms_booked_id)"


class SlotTaken(HmsError):
    """The doctor is already booked at that time: the booking was refused, as it must be."""

    attempts: int = 1   # more than 1: the slot was found taken after a lost conflict was retried


class BookingConflict(HmsError):
    """Every attempt lost a conflict (certification or lock) with concurrent bookings; nothing was booked."""


@dataclass(frozen=True)
class Booking:
    """A booked appointment, and how many attempts it took (more than 1: conflicts were retried)."""

    appointment_id: int
    attempts: int


def book(conn, patient_id: int, doctor_id: int, starts_at: datetime, receptionist_id: int | None = None,
         reason: str | None = None, *, attempts: int = MAX_ATTEMPTS) -> Booking:
    """Book the slot and return the Booking; SlotTaken when the doctor is busy then.

    Runs as its own transaction: in autocommit mode the procedure's INSERT commits by
    itself; with autocommit off this commits, and refuses a connection with a transaction
    already open (retrying would drop the caller's earlier work). BookingConflict after `attempts` lost conflicts in a row,
    NodeNotPrimary when the node is cut off from the cluster's majority.
    """
    autocommit = conn.get_autocommit()
    if not autocommit and conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
        # A retry would run without the caller's earlier work, which the lost conflict rolled back.
        raise DatabaseError("the booking must run as its own transaction, and this connection has one open",
                            "Commit or roll back first, or book from an autocommit connection")
    for attempt in range(1, attempts + 1):
        try:
            with conn.cursor() as cur:
                cur.execute(BOOK, (patient_id, doctor_id, starts_at, receptionist_id, reason))
                while cur.nextset():
                    pass
                cur.execute("SELECT @hms_booked_id")
                booked = cur.fetchone()[0]
            if not autocommit:
                conn.commit()   # where Galera certifies: a lost certification raises 1213 here
            return Booking(int(booked), attempt)
        except pymysql.err.MySQLError as exc:
            # Always, in autocommit mode too: on Galera a session whose CALL was aborted
            # by a replicated write set (brute-force abort) answers 1213 to every later
            # CALL until it runs a statement of its own; ROLLBACK resets it.
            _rollback(conn)
            code, text = error_code(exc), str(exc)
            if is_not_prepared(exc):
                raise not_primary(_where(conn)) from None
            if code in errcodes.CONNECT_FAILURES or not conn.open:   # lost now, or found lost by the ROLLBACK
                raise ConnectionFailed(f"the connection to {_where(conn)} was lost while booking doctor {doctor_id} "
                                       f"at {starts_at:%Y-%m-%d %H:%M}; the booking may or may not have been made",
                                       "Look the slot up on a running node before booking it again") from None
            if ALREADY_BOOKED in text or PATIENT_BUSY in text:   # the doctor's or the patient's time is taken
                taken = SlotTaken(f"doctor {doctor_id} is already booked at {starts_at:%Y-%m-%d %H:%M}"
                                  if ALREADY_BOOKED in text else
                                  f"patient {patient_id} already has an appointment at {starts_at:%Y-%m-%d %H:%M}",
                                  "Choose another slot")
                taken.attempts = attempt
                raise taken from None
            if code not in RETRYABLE and LOST_RACE not in text and HEAVY_DEMAND not in text:
                raise DatabaseError(f"booking doctor {doctor_id} at {starts_at:%Y-%m-%d %H:%M} failed: "
                                    f"{server_message(exc)}", "") from None
        if attempt < attempts:
            time.sleep(random.uniform(0, 0.005 * attempt))
    raise BookingConflict(f"booking doctor {doctor_id} at {starts_at:%Y-%m-%d %H:%M} lost {attempts} conflicts "
                          "in a row with concurrent writes (deadlock or certification failure, error 1213); "
                          "nothing was booked", "Try again in a moment")


def _where(conn) -> str:
    """The server address of a PyMySQL connection, for messages."""
    return getattr(conn, "unix_socket", None) or f"{conn.host}:{conn.port}"


def _rollback(conn) -> None:
    try:
        conn.rollback()
    except pymysql.err.MySQLError:
        pass
