"""The tables `hms seed` derives from the loaded ones rather than generating: invoices and payments
(billing.py), stock lots and their ledger (pharmacy.py). Filled after the chunks are loaded, in
loader sessions, and checked by `hms seed verify`.
"""

from __future__ import annotations

import threading
from datetime import date

from hms.connection import ConnectionInfo

from . import billing, bulk_load, pharmacy

# Derived tables, in fill order (charge_item already holds migration V039's BILLED charge).
TABLES = ("charge_item", "charge_price", "invoice_line", "payment", "stock_lot", "stock_ledger")

# The parts of the fill: (the table that holds rows once the part is done, the part). Each part is
# one transaction, so a run killed midway leaves every part done or not started, and a resumed run
# does the ones not done. The catalogue comes first (the invoice lines name its charges); the
# others read only the loaded tables and write tables of their own, so they run at once, in as
# many loader sessions as the load had (triggers bypassed and foreign-key checks off, so none
# waits for another's locks): on 2 cores the invoice lines in one session, the payments then the
# stock in the other (scale 0.1: 14.2 s in one session before).
CATALOGUE = ("charge_price", billing.fill_catalogue)
PARTS = (("invoice_line", billing.fill_invoice_lines), ("payment", billing.fill_payments),
         ("stock_lot", pharmacy.fill))


def missing(conn) -> bool:
    """True when some part's rows are not there yet."""
    with conn.cursor() as cur:
        cur.execute("SELECT " + " OR ".join(f"NOT EXISTS (SELECT 1 FROM {table})"
                                            for table, _ in (CATALOGUE, *PARTS)))
        return bool(cur.fetchone()[0])


def _done(conn, table: str) -> bool:
    with conn.cursor() as cur:
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")   # table: one of PARTS' fixed names
        return bool(cur.fetchone()[0])


def _fill_parts(loader_info: ConnectionInfo, parts, as_of: date, unlogged: bool, queue_lock, errors) -> None:
    """Take parts off the shared list and do each in its own transaction, in one loader session."""
    conn = bulk_load.open_loader(loader_info, unlogged)
    try:
        while True:
            with queue_lock:
                if not parts or errors:
                    return
                table, part = parts.pop(0)
            if _done(conn, table):
                continue
            with conn.cursor() as cur:
                part(cur, as_of)
            conn.commit()
    except BaseException as exc:   # re-raised by fill()
        errors.append(exc)
    finally:
        conn.close()


def fill(loader_info: ConnectionInfo, as_of: date, unlogged: bool = False, sessions: int = 1) -> None:
    """Fill the derived tables not filled yet: the catalogue, then the other parts in `sessions`
    loader sessions at once."""
    errors: list[BaseException] = []
    _fill_parts(loader_info, [CATALOGUE], as_of, unlogged, threading.Lock(), errors)
    if errors:
        raise errors[0]
    parts, lock = list(PARTS), threading.Lock()
    threads = [threading.Thread(target=_fill_parts, args=(loader_info, parts, as_of, unlogged, lock, errors))
               for _ in range(max(1, min(sessions, len(PARTS))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def check(conn, report, as_of: date) -> None:
    """Add the invoice, payment, lot and ledger rules to a seed verify report."""
    args = {"as_of": as_of}
    with conn.cursor() as cur:
        for rule, sql in billing.CHECKS + pharmacy.CHECKS:
            cur.execute(sql, args)
            broken = cur.fetchone()[0]
            report.check(broken == 0, f"{rule}: {broken:,} row(s) break it")
        for rule, sql, least in pharmacy.SHARES:
            cur.execute(sql, args)
            found = cur.fetchone()[0]
            report.check(found >= least, f"{rule}: {found:,}")
