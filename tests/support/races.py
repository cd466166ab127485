"""Racing sessions: the same work started in several real sessions at the same instant."""

from __future__ import annotations

import threading

import pymysql

from hms.connection import connect


def race(info, work, workers: int, timeout: float = 120) -> list:
    """Run work(conn, i) in `workers` sessions released at once; ("ok", value) or ("error", code, text) each."""
    barrier = threading.Barrier(workers)
    outcomes: list = [None] * workers
    conns = [connect(info) for _ in range(workers)]

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = ("ok", work(conns[i], i))
        except pymysql.err.MySQLError as exc:
            outcomes[i] = ("error", exc.args[0], exc.args[1])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    for conn in conns:
        conn.close()
    return outcomes
