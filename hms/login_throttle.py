"""Console login throttling per (admin name, client address), counted before the check.

`admit` records the attempt and commits before the password is looked at, under a row
lock, so concurrent guesses queue on the row and only the allowed number are ever
checked. The first `free` failures cost nothing; after that each attempt must wait a
delay that doubles per failure (`base`, 2x`base`, ... up to `ceiling` seconds). It is
per address, so a stranger guessing at a name slows only their own address: the real
admin, from its own browser, still gets in.

The prune of day-old rows does not lock a range: it finds them by a plain (consistent,
lockless) read and deletes each by its key, outside the counting transaction, and only
when there are any. A ranged `DELETE` inside the transaction took a gap lock of the
`last_attempt_at` index in every concurrent attempt, where each attempt's new row had to
go, and InnoDB answered simultaneous first guesses with deadlocks (1213), which the
console showed as errors. Should InnoDB still pick an attempt as a deadlock's victim, the
attempt was rolled back whole and is counted again, a few times at most; a prune that
loses one is left to the next attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymysql

from . import errcodes
from .connection import error_code, transaction
from .identifiers import quote_identifier

ENSURE_ROW = ("INSERT INTO {table} (username, source, failures, last_attempt_at) VALUES (%s, %s, 0, NOW(3)) "
              "ON DUPLICATE KEY UPDATE failures = failures")
READ_ROW = ("SELECT failures, TIMESTAMPDIFF(MICROSECOND, last_attempt_at, NOW(3)) / 1000000 "
            "FROM {table} WHERE username = %s AND source = %s FOR UPDATE")
COUNT_ATTEMPT = ("UPDATE {table} SET failures = failures + 1, last_attempt_at = NOW(3) "
                 "WHERE username = %s AND source = %s")
FORGET = "DELETE FROM {table} WHERE username = %s AND source = %s"
STALE = "SELECT username, source FROM {table} WHERE last_attempt_at < NOW(3) - INTERVAL 1 DAY LIMIT 100"
PRUNE = ("DELETE FROM {table} WHERE username = %s AND source = %s "
         "AND last_attempt_at < NOW(3) - INTERVAL 1 DAY")
ATTEMPTS = 5        # an attempt that loses a deadlock is rolled back and counted again


@dataclass(frozen=True)
class Policy:
    """How many failures are free, and the delays after them (seconds)."""

    free: int = 5
    base: float = 30.0
    ceiling: float = 15 * 60.0

    def delay(self, failures: int) -> float:
        """Seconds an attempt must wait after the last one, once `failures` are recorded."""
        if failures < self.free:
            return 0.0
        return min(self.base * 2 ** (failures - self.free), self.ceiling)


def admit(conn, schema: str, username: str, source: str, policy: Policy) -> float:
    """Count an attempt and return 0, or return the seconds to wait (the attempt is not counted)."""
    table = f"{quote_identifier(schema)}.login_throttle"
    key = (username[:200], source[:100])
    _prune(conn, table)
    attempt = 1
    while True:
        try:
            return _count(conn, table, key, policy)
        except pymysql.err.OperationalError as exc:
            if error_code(exc) != errcodes.DEADLOCK or attempt == ATTEMPTS:
                raise
            attempt += 1


def _prune(conn, table: str) -> None:
    """Delete up to 100 rows idle for a day, each by its key, each in a statement of its own."""
    with conn.cursor() as cur:
        cur.execute(STALE.format(table=table))
        stale = cur.fetchall()
        conn.commit()
        for key in stale:
            try:
                cur.execute(PRUNE.format(table=table), key)
                conn.commit()
            except pymysql.err.OperationalError as exc:
                conn.rollback()
                if error_code(exc) not in (errcodes.DEADLOCK, errcodes.LOCK_WAIT_TIMEOUT):
                    raise


def _count(conn, table: str, key: tuple[str, str], policy: Policy) -> float:
    """admit's transaction: the row made if new, read under its lock, counted unless it must wait."""
    with transaction(conn), conn.cursor() as cur:
        cur.execute(ENSURE_ROW.format(table=table), key)
        cur.execute(READ_ROW.format(table=table), key)
        failures, elapsed = cur.fetchone()
        wait = policy.delay(int(failures)) - float(elapsed)
        if wait > 0:
            return wait
        cur.execute(COUNT_ATTEMPT.format(table=table), key)
    return 0.0


def succeeded(conn, schema: str, username: str, source: str) -> None:
    """Forget the (name, address)'s failures after a successful login."""
    with conn.cursor() as cur:
        cur.execute(FORGET.format(table=f"{quote_identifier(schema)}.login_throttle"),
                    (username[:200], source[:100]))
