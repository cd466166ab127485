"""The tables `hms seed` derives from the loaded ones rather than generating: invoices and payments
(billing.py), stock lots and their ledger (pharmacy.py). Filled in one loader-session transaction
after the chunks are loaded, and checked by `hms seed verify`.
"""

from __future__ import annotations

from datetime import date

from hms.connection import ConnectionInfo

from . import billing, bulk_load, pharmacy

# Derived tables, in fill order (charge_item already holds migration V039's BILLED charge).
TABLES = ("charge_item", "charge_price", "invoice_line", "payment", "stock_lot", "stock_ledger")


def missing(conn) -> bool:
    """True when the derived rows are not there yet (the fill is one transaction: all or none)."""
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT COUNT(*) FROM charge_price) = 0 AND (SELECT COUNT(*) FROM stock_lot) = 0")
        return bool(cur.fetchone()[0])


def fill(loader_info: ConnectionInfo, as_of: date, unlogged: bool = False) -> None:
    """Fill the derived tables in one transaction of a loader session, unless already filled."""
    conn = bulk_load.open_loader(loader_info, unlogged)
    try:
        if not missing(conn):
            return
        with conn.cursor() as cur:
            billing.fill(cur, as_of)
            pharmacy.fill(cur, as_of)
        conn.commit()
    finally:
        conn.close()


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
