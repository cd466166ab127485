"""`verify`: the live database is compared with sql/, and every hand-made difference is
named (columns, indexes, triggers, role grants, the console schema)."""

from __future__ import annotations

from hms.connection import connect
from hms.migrations import Migrator
from hms.migrations import verify_database as verify


def test_verify_reports_hand_made_changes(fresh_database):
    Migrator(fresh_database).migrate()
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP TRIGGER trg_prescription_medication_stock")
            cur.execute("CREATE INDEX idx_by_hand ON nurse (shift)")
            cur.execute("ALTER TABLE patient MODIFY city VARCHAR(120) NOT NULL")
    finally:
        conn.close()
    problems = verify(fresh_database)
    assert "trigger trg_prescription_medication_stock: in sql/, missing from the database" in problems
    assert "index idx_by_hand on nurse: in the database, not in sql/" in problems
    assert any(p.startswith("column patient.city: differs from sql/") for p in problems)
    assert "sql/triggers/trg_prescription_medication_stock.sql: absent" in problems
    assert len(problems) == 4


def test_verify_reports_role_drift(fresh_database, server_info):
    Migrator(fresh_database).migrate()
    conn = connect(server_info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"GRANT DELETE ON `{fresh_database.database}`.* TO hms_qa")
        problems = verify(fresh_database)
        assert any(p.startswith("role hms_qa: holds `DELETE") for p in problems), problems
    finally:
        with conn.cursor() as cur:
            cur.execute(f"REVOKE DELETE ON `{fresh_database.database}`.* FROM hms_qa")
        conn.close()


def test_verify_covers_the_console_schema(fresh_database):
    Migrator(fresh_database).migrate()
    states = Migrator(fresh_database).status()
    assert any(s.file.startswith("sql/console/") for s in states)
    conn = connect(fresh_database.with_database(fresh_database.database + "_console"))
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE INDEX idx_by_hand ON audit_log (outcome)")
    finally:
        conn.close()
    assert verify(fresh_database) == ["console schema: index idx_by_hand on audit_log: in the database, not in sql/"]
