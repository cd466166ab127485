"""The tables `hms seed` derives from the loaded ones rather than generating: invoices and payments
(billing.py), stock lots and their ledger (pharmacy.py). Filled after the chunks are loaded, in
loader sessions, and checked by `hms seed verify`.
"""

from __future__ import annotations

from datetime import date

from hms.connection import ConnectionInfo

from . import billing, bulk_load, pharmacy
from .concurrent import each_of

# Derived tables, in fill order (charge_item already holds migration V039's BILLED charge).
TABLES = ("charge_item", "charge_price", "invoice_line", "payment", "stock_lot", "stock_ledger")

# The parts of the fill: (the table that holds rows once the part is done, the part). Each part is
# one transaction, so a run killed midway leaves every part done or not started, and a resumed run
# does the ones not done. The catalogue comes first (the invoice lines name its charges); the
# others read only the loaded tables and write tables of their own, so they run at once, each in
# its own loader session unless the load had one (triggers bypassed and foreign-key checks off,
# so none waits for another's locks). One session each rather than one per core: they run beside
# the scheduling fill and the summaries (seed/run.py), and a part queued behind another ran alone
# at the end while a core idled (scale 0.1: the stock, 8 s).
CATALOGUE = ("charge_price", billing.fill_catalogue)
PARTS = (("invoice_line", billing.fill_invoice_lines), ("payment", billing.fill_payments),
         ("stock_lot", pharmacy.fill))


def missing(conn) -> bool:
    """True when some part's rows are not there yet."""
    with conn.cursor() as cur:
        cur.execute("SELECT " + " OR ".join(f"NOT EXISTS (SELECT 1 FROM {table})"
                                            for table, _ in (CATALOGUE, *PARTS)))
        return bool(cur.fetchone()[0])


def _do_part(conn, table_and_part, as_of: date) -> None:
    """One part in its own transaction, unless its table already holds rows (done before)."""
    table, part = table_and_part
    with conn.cursor() as cur:
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")   # table: one of PARTS' fixed names
        if cur.fetchone()[0]:
            return
        part(cur, as_of)
    conn.commit()


def fill(loader_info: ConnectionInfo, as_of: date, unlogged: bool = False, sessions: int = 1) -> None:
    """Fill the derived tables not filled yet: the catalogue, then the other parts at once, each
    in a loader session of its own (in one, when `sessions` is 1)."""
    def loader():
        return bulk_load.open_loader(loader_info, unlogged)

    def do(conn, table_and_part):
        _do_part(conn, table_and_part, as_of)

    each_of([CATALOGUE], 1, loader, do)
    each_of(PARTS, len(PARTS) if sessions > 1 else 1, loader, do)


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
