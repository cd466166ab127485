"""A session kept busy by a long statement, for tests of what watches or ends such sessions."""

from __future__ import annotations

import contextlib
import threading
import time

import pymysql

from hms.connection import connect


@contextlib.contextmanager
def sleeping(info, admin, seconds: int = 120):
    """A session of `info` running SELECT SLEEP(seconds) on a thread, once the server shows it.

    Yields (connection id, outcome dict, thread). Afterwards `admin` ends the statement if it
    still runs, and the connection is closed.
    """
    conn = connect(info, database=None)
    session_id = conn.thread_id()
    outcome: dict = {}

    def sleep() -> None:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT SLEEP(%s)", (seconds,))
                outcome["rows"] = cur.fetchall()
        except pymysql.err.MySQLError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=sleep, daemon=True)
    thread.start()
    watcher = connect(admin, database=None)
    try:
        deadline = time.monotonic() + 10
        with watcher.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %s AND INFO LIKE "
                            "'SELECT SLEEP%%'", (session_id,))
                if cur.fetchone()[0]:
                    break
                time.sleep(0.02)
        yield session_id, outcome, thread
    finally:
        if thread.is_alive():
            with contextlib.suppress(pymysql.err.MySQLError), watcher.cursor() as cur:
                cur.execute(f"KILL QUERY {int(session_id)}")
        thread.join(timeout=10)
        watcher.close()
        with contextlib.suppress(Exception):
            conn.close()
