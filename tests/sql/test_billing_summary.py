"""patient_billing_summary stays equal to the bills it summarises, whatever happens to them."""

from __future__ import annotations

import threading
from decimal import Decimal

from hms.connection import connect
from tests.support import query


def add_bill(conn, patient: int, amount: str) -> int:
    with conn.cursor() as cur:
        cur.execute("INSERT INTO billing (patient_id, total_amount, bill_date, due_date) "
                    "VALUES (%s, %s, '2024-05-01', '2024-06-01')", (patient, amount))
        return cur.lastrowid


def summary(db, patient: int) -> tuple | None:
    rows = query(db, "SELECT bills, total_billed FROM patient_billing_summary WHERE patient_id = %s", (patient,))
    return rows[0] if rows else None


def test_summary_follows_inserts_updates_moves_and_deletes(db, clinic):
    ann, bob = clinic.patient(), clinic.patient()
    assert summary(db, ann) is None
    first = add_bill(db, ann, "100.00")
    second = add_bill(db, ann, "20.25")
    assert summary(db, ann) == (2, Decimal("120.25"))
    query(db, "UPDATE billing SET total_amount = 30.25 WHERE bill_id = %s", (second,))
    assert summary(db, ann) == (2, Decimal("130.25"))
    query(db, "UPDATE billing SET payment_status = 'Overdue' WHERE bill_id = %s", (second,))
    assert summary(db, ann) == (2, Decimal("130.25"))
    query(db, "UPDATE billing SET patient_id = %s, total_amount = 31.00 WHERE bill_id = %s", (bob, second))
    assert summary(db, ann) == (1, Decimal("100.00"))
    assert summary(db, bob) == (1, Decimal("31.00"))
    query(db, "DELETE FROM billing WHERE bill_id = %s", (first,))
    assert summary(db, ann) is None
    query(db, "UPDATE billing SET patient_id = %s WHERE bill_id = %s", (ann, second))
    assert summary(db, bob) is None and summary(db, ann) == (1, Decimal("31.00"))


def test_concurrent_bills_of_one_patient_lose_no_addition(migrated, db, clinic):
    patient = clinic.patient()
    amounts = [f"{i}.{i:02d}" for i in range(1, 9)]

    def bill_five(amount: str) -> None:
        conn = connect(migrated)
        try:
            for _ in range(5):
                add_bill(conn, patient, amount)
        finally:
            conn.close()

    threads = [threading.Thread(target=bill_five, args=(a,)) for a in amounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert summary(db, patient) == (40, 5 * sum(Decimal(a) for a in amounts))


def test_summary_equals_a_regrouping_of_billing(db, clinic):
    patients = [clinic.patient() for _ in range(3)]
    for i, patient in enumerate(patients):
        for j in range(i + 1):
            add_bill(db, patient, f"{10 * (j + 1)}.50")
    mismatches = query(db, """
        SELECT COUNT(*) FROM (SELECT patient_id, COUNT(*) AS bills, SUM(total_amount) AS total
                                FROM billing GROUP BY patient_id) AS g
        LEFT JOIN patient_billing_summary AS s ON s.patient_id = g.patient_id
        WHERE s.patient_id IS NULL OR s.bills <> g.bills OR s.total_billed <> g.total""")
    orphans = query(db, "SELECT COUNT(*) FROM patient_billing_summary AS s "
                        "WHERE NOT EXISTS (SELECT 1 FROM billing AS b WHERE b.patient_id = s.patient_id)")
    assert mismatches[0][0] == 0 and orphans[0][0] == 0
    assert summary(db, patients[2]) == (3, Decimal("10.50") + Decimal("20.50") + Decimal("30.50"))


def test_migration_backfills_the_summary_of_existing_bills(fresh_database):
    from hms.migrations import discover

    # The schema as it was before V301, some bills, then V301 itself.
    files = discover()
    before = [f for f in files if f.kind == "versioned" and f.version < 301]
    conn = connect(fresh_database, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{fresh_database.database}`")
            cur.execute(f"USE `{fresh_database.database}`")
            for f in before:
                for statement in f.statements():
                    cur.execute(statement.sql)
            cur.execute("INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, address, city) "
                        "VALUES ('A', 'B', '1990-01-01', 'Other', '1', 'x', 'y')")
            cur.execute("INSERT INTO billing (patient_id, total_amount, bill_date, due_date) VALUES "
                        "(1, 5.00, '2024-01-01', '2024-01-02'), (1, 7.50, '2024-01-01', '2024-01-02')")
            sql = next(f for f in files if f.relpath.endswith("V301__patient_billing_summary.sql"))
            for statement in sql.statements():
                cur.execute(statement.sql)
            cur.execute("SELECT patient_id, bills, total_billed FROM patient_billing_summary")
            assert cur.fetchall() == ((1, 2, Decimal("12.50")),)
    finally:
        conn.close()
