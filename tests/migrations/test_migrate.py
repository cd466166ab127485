"""The migration runner: applies from empty, is idempotent, and keeps a true history."""

from __future__ import annotations

import pytest

from hms.connection import connect
from hms.errors import MigrationError
from hms.migrations import Migrator, discover
from hms.migrations import verify_database as verify
from tests.support import query


def history(info) -> list[tuple]:
    conn = connect(info)
    try:
        return query(conn, "SELECT file, success, error_message FROM hms_schema_history ORDER BY installed_rank")
    finally:
        conn.close()


def test_applies_from_empty_then_is_a_no_op(fresh_database):
    migrator = Migrator(fresh_database)
    first = migrator.migrate()
    files = discover()
    assert [step.sql_file.relpath for step, _ in first.applied] == [f.relpath for f in files]
    rows = history(fresh_database)
    assert len(rows) == len(files) and all(success for _, success, _ in rows)
    assert {s.state for s in migrator.status()} == {"applied"}
    second = Migrator(fresh_database).migrate()
    assert second.applied == []
    assert len(history(fresh_database)) == len(files)
    assert verify(fresh_database) == []


def test_history_records_who_when_how_long(fresh_database):
    Migrator(fresh_database).migrate()
    conn = connect(fresh_database)
    try:
        rows = query(conn, "SELECT version, kind, checksum, installed_by, installed_at, execution_ms "
                           "FROM hms_schema_history WHERE file = 'sql/schema/V001__department.sql'")
    finally:
        conn.close()
    (version, kind, checksum, who, when, ms), = rows
    assert version == 1 and kind == "versioned" and len(checksum) == 64
    assert who.startswith(fresh_database.user + "@") and when is not None and ms >= 0


def test_edited_versioned_file_is_an_error_naming_it(fresh_database, sql_copy):
    Migrator(fresh_database, sql_root=sql_copy).migrate()
    path = sql_copy / "schema" / "V003__nurse.sql"
    path.write_text(path.read_text().replace("VARCHAR(50)", "VARCHAR(60)", 1))
    with pytest.raises(MigrationError) as excinfo:
        Migrator(fresh_database, sql_root=sql_copy).migrate()
    assert "sql/schema/V003__nurse.sql was edited after it was applied" in excinfo.value.message
    states = {s.file: s.state for s in Migrator(fresh_database, sql_root=sql_copy).status()}
    assert states["sql/schema/V003__nurse.sql"] == "changed"


def test_edited_routine_is_reapplied_with_the_roles(fresh_database, sql_copy):
    Migrator(fresh_database, sql_root=sql_copy).migrate()
    path = sql_copy / "routines" / "calculate_discounted_bill.sql"
    path.write_text(path.read_text().replace("RETURN ROUND(p_amount * (100 - p_discount_percent) / 100, 2);",
                                             "RETURN ROUND(p_amount * (100 - p_discount_percent) / 100, 1);"))
    result = Migrator(fresh_database, sql_root=sql_copy).migrate()
    applied = [step.sql_file.relpath for step, _ in result.applied]
    assert applied[0] == "sql/routines/calculate_discounted_bill.sql"
    assert set(applied[1:]) == {f"sql/roles/{f.name}" for f in (sql_copy / "roles").glob("*.sql")}
    conn = connect(fresh_database)
    try:
        assert str(query(conn, "SELECT calculate_discounted_bill(10.55, 0)")[0][0]) == "10.60"
    finally:
        conn.close()


def test_failing_file_is_recorded_and_the_run_stops(fresh_database, sql_copy):
    (sql_copy / "schema" / "V050__broken.sql").write_text("-- broken on purpose\nCREATE TABLE broken (id INT,\n  oops;\n")
    with pytest.raises(MigrationError) as excinfo:
        Migrator(fresh_database, sql_root=sql_copy).migrate()
    assert "sql/schema/V050__broken.sql failed at line 2" in excinfo.value.message
    rows = history(fresh_database)
    assert rows[-1][0] == "sql/schema/V050__broken.sql" and rows[-1][1] == 0
    assert "SQL syntax" in rows[-1][2]
    applied_files = {r[0] for r in rows}
    assert "sql/indexes/V101__idx_patient_name.sql" not in applied_files  # stopped at the failure
    (sql_copy / "schema" / "V050__broken.sql").write_text("CREATE TABLE broken (id INT PRIMARY KEY);\n")
    Migrator(fresh_database, sql_root=sql_copy).migrate()
    states = {s.file: s.state for s in Migrator(fresh_database, sql_root=sql_copy).status()}
    assert set(states.values()) == {"applied"}


def test_concurrent_run_is_refused(fresh_database, server_info):
    migrator = Migrator(fresh_database)
    holder = connect(server_info, database=None)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, 0)", (migrator._lock_name(),))
            assert cur.fetchone()[0] == 1
        with pytest.raises(MigrationError) as excinfo:
            migrator.migrate()
        assert f"another migration of '{fresh_database.database}' is running" in excinfo.value.message
    finally:
        holder.close()
    assert migrator.migrate().applied  # once the lock is released, it runs


def test_dry_run_changes_nothing(fresh_database, server_info):
    result = Migrator(fresh_database).migrate(dry_run=True)
    assert len(result.applied) == len(discover())
    conn = connect(server_info, database=None)
    try:
        assert query(conn, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                     (fresh_database.database,)) == [(0,)]
    finally:
        conn.close()


def test_delimiter_blocks_reach_the_server_whole(fresh_database, sql_copy):
    (sql_copy / "routines" / "zz_probe.sql").write_text(
        "-- a routine whose body holds ; and a string with $$ and a -- comment\n"
        "DROP FUNCTION IF EXISTS zz_probe;\n"
        "DELIMITER $$\n"
        "CREATE FUNCTION zz_probe() RETURNS VARCHAR(40) DETERMINISTIC NO SQL\n"
        "BEGIN\n"
        "    DECLARE v VARCHAR(40) DEFAULT 'semi;colon $$ -- not a comment';\n"
        "    RETURN v;\n"
        "END$$\n"
        "DELIMITER ;\n"
        "SELECT 1;\n")
    Migrator(fresh_database, sql_root=sql_copy).migrate()
    conn = connect(fresh_database)
    try:
        assert query(conn, "SELECT zz_probe()") == [("semi;colon $$ -- not a comment",)]
    finally:
        conn.close()


def test_migrate_repairs_a_hand_dropped_trigger(fresh_database):
    Migrator(fresh_database).migrate()
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP TRIGGER trg_department_medication_stock_update")
    finally:
        conn.close()
    result = Migrator(fresh_database).migrate()  # a file whose object is gone is re-run
    assert [s.sql_file.relpath for s, _ in result.applied] == ["sql/triggers/trg_department_medication_stock_update.sql"]
    assert verify(fresh_database) == []
    result = Migrator(fresh_database).migrate(reapply=True)
    assert "sql/triggers/trg_department_medication_stock_update.sql" in {s.sql_file.relpath for s, _ in result.applied}
