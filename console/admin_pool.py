"""A few open connections as the administrative login, reused across requests by the pages
that read what the service account may not (the hospital dashboard, server health).

A query on the summary tables takes milliseconds; a new login costs tens (more on a busy
machine: the handshake, TLS, the authentication plugin), and the dashboard's p99 target is
200 ms. Connections are autocommit (each read sees the latest rows), pinged before reuse
(a restarted server gets a new one), and at most POOL_SIZE are kept; an error closes the
connection instead of returning it. The login is the one DB Tools already uses in this
process (context.admin_login): the pool holds nothing the process did not hold already.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import weakref
from typing import Iterator

import pymysql

from hms.connection import connect

POOL_SIZE = 4
_lock = threading.Lock()


class AdminPool:
    def __init__(self, login_of) -> None:
        self._login_of = login_of          # called once per new connection: the current admin login
        self._idle: queue.LifoQueue = queue.LifoQueue(maxsize=POOL_SIZE)

    @contextlib.contextmanager
    def connection(self) -> Iterator[pymysql.connections.Connection]:
        conn = self._take()
        try:
            yield conn
        except BaseException:
            conn.close()
            raise
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def _take(self) -> pymysql.connections.Connection:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return connect(self._login_of())
            try:
                conn.ping(reconnect=False)
                return conn
            except pymysql.err.MySQLError:
                with contextlib.suppress(Exception):
                    conn.close()


def pool_of(app, login_of) -> AdminPool:
    """The app's pool, made on first use."""
    with _lock:
        pool = app.extensions.get("hms_admin_pool")
        if pool is None:
            pool = app.extensions["hms_admin_pool"] = AdminPool(login_of)
            weakref.finalize(app, pool.close)   # an app thrown away (tests make many) closes its connections
        return pool
