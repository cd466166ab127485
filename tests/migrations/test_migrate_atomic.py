"""A failed routine or trigger file never deletes the live object, and "applied" is what
the server holds: a routine or trigger missing from the server is re-created."""

from __future__ import annotations

from datetime import datetime, timedelta

import pymysql
import pytest
from click.testing import CliRunner

from cli import cli
from hms.connection import connect
from hms.errors import MigrationError
from hms.migrations import Migrator, objects
from tests.support import Clinic, query


@pytest.fixture
def migrated_copy(patched_sql_copy, fresh_database):
    """A database migrated from the private copy of sql/, and an open connection to it."""
    Migrator(fresh_database).migrate()
    conn = connect(fresh_database)
    yield fresh_database, conn
    conn.close()


# A syntax error in book_appointment.sql: the file fails at its CREATE.
BREAK_BOOK_APPOINTMENT = ("SET MESSAGE_TEXT = v_message;", "SET MESSAGE_TEXT = ;")


def break_file(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def exists(conn, kind: str, name: str) -> bool:
    if kind == "TRIGGER":
        sql = "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = %s"
    else:
        sql = ("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() "
               "AND ROUTINE_NAME = %s")
    return query(conn, sql, (name,)) == [(1,)]


def book(conn) -> int:
    clinic = Clinic(conn)
    starts = (datetime.now() + timedelta(days=3)).replace(minute=30, second=0, microsecond=0)
    with conn.cursor() as cur:
        cur.execute("CALL book_appointment(%s, %s, %s, NULL, 'check-up', @id)",
                    (clinic.patient(), clinic.doctor(), starts))
        cur.execute("SELECT @id")
        return cur.fetchone()[0]


def states(info) -> dict[str, str]:
    return {s.file: s.state for s in Migrator(info).status()}


def test_broken_routine_file_keeps_the_live_procedure(migrated_copy, patched_sql_copy):
    info, conn = migrated_copy
    break_file(patched_sql_copy / "routines" / "book_appointment.sql", *BREAK_BOOK_APPOINTMENT)
    with pytest.raises(MigrationError) as excinfo:
        Migrator(info).migrate()
    assert "sql/routines/book_appointment.sql failed at line" in excinfo.value.message
    assert "not touched" in excinfo.value.message
    assert exists(conn, "PROCEDURE", "book_appointment")
    assert book(conn) > 0
    assert states(info)["sql/routines/book_appointment.sql"] == "failed"
    assert query(conn, "SELECT COUNT(*) FROM information_schema.ROUTINES "
                       "WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME LIKE 'hms\\_chk\\_%%'") == [(0,)]


def test_broken_trigger_file_keeps_stock_control(migrated_copy, patched_sql_copy):
    info, conn = migrated_copy
    break_file(patched_sql_copy / "triggers" / "trg_department_medication_stock_update.sql",
               "IF NEW.stock_quantity < 0 THEN", "IF NEW.stock_quantity < 0 THEN (")
    with pytest.raises(MigrationError):
        Migrator(info).migrate()
    assert exists(conn, "TRIGGER", "trg_department_medication_stock_update")
    clinic = Clinic(conn)
    department, medication = clinic.department(), clinic.medication()
    clinic.stock(department, medication, 2)
    with pytest.raises(pymysql.err.MySQLError, match="Not enough stock"):
        with conn.cursor() as cur:
            cur.execute("UPDATE department_medication SET stock_quantity = -1 "
                        "WHERE department_id = %s AND medication_id = %s", (department, medication))
    leftovers = query(conn, "SELECT COUNT(*) FROM information_schema.TABLES "
                            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'hms\\_chk\\_%%'")
    assert leftovers == [(0,)]


def test_a_create_that_fails_after_the_drop_restores_the_previous_definition(migrated_copy, patched_sql_copy, monkeypatch):
    info, conn = migrated_copy
    break_file(patched_sql_copy / "routines" / "book_appointment.sql", *BREAK_BOOK_APPOINTMENT)
    monkeypatch.setattr(objects, "check", lambda conn, obj: None)  # as if only the live CREATE failed
    with pytest.raises(MigrationError) as excinfo:
        Migrator(info).migrate()
    assert "previous definition was restored" in excinfo.value.message
    assert book(conn) > 0


def test_a_trigger_dropped_by_hand_is_absent_then_recreated(migrated_copy, server_info):
    info, conn = migrated_copy
    with conn.cursor() as cur:
        cur.execute("DROP TRIGGER trg_prescription_medication_stock")
    assert states(info)["sql/triggers/trg_prescription_medication_stock.sql"] == "absent"
    env = {"HMS_DATABASE_URL": server_info.url(hide_password=False), "HMS_DATABASE": info.database}
    shown = CliRunner().invoke(cli, ["db", "status"], env=env, catch_exceptions=False)
    assert any("trg_prescription_medication_stock.sql" in line and "absent" in line
               for line in shown.output.splitlines())
    result = Migrator(info).migrate()
    assert [step.sql_file.relpath for step, _ in result.applied] == ["sql/triggers/trg_prescription_medication_stock.sql"]
    assert result.applied[0][0].reason == "missing from the server"
    assert exists(conn, "TRIGGER", "trg_prescription_medication_stock")
    assert set(states(info).values()) == {"applied"}


def test_a_procedure_dropped_by_hand_is_recreated_with_its_grants(migrated_copy):
    info, conn = migrated_copy
    with conn.cursor() as cur:
        cur.execute("DROP PROCEDURE book_appointment")
    applied = [step.sql_file.relpath for step, _ in Migrator(info).migrate().applied]
    assert applied[0] == "sql/routines/book_appointment.sql"
    assert any(path.startswith("sql/roles/") for path in applied)  # grants on the routine come back
    assert book(conn) > 0
    assert set(states(info).values()) == {"applied"}


def test_a_role_dropped_by_hand_is_absent_then_recreated_with_its_grants(patched_sql_copy, fresh_database, server_info):
    # A role of this test's own: dropping a shared hms_* role would take its grants on every database.
    (patched_sql_copy / "roles" / "hms_i11_probe.sql").write_text(
        "CREATE ROLE IF NOT EXISTS hms_i11_probe;\n"
        "SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.* TO hms_i11_probe');\n"
        "PREPARE hms_grant_stmt FROM @hms_grant;\nEXECUTE hms_grant_stmt;\nDEALLOCATE PREPARE hms_grant_stmt;\n")
    info = fresh_database
    admin = connect(server_info, database=None)
    try:
        Migrator(info).migrate()
        with admin.cursor() as cur:
            cur.execute("DROP ROLE hms_i11_probe")
        assert states(info)["sql/roles/hms_i11_probe.sql"] == "absent"
        applied = [step.sql_file.relpath for step, _ in Migrator(info).migrate().applied]
        assert applied == ["sql/roles/hms_i11_probe.sql"]
        grants = [row[0] for row in query(admin, "SHOW GRANTS FOR hms_i11_probe")]
        assert any(f"`{info.database}`" in line and "SELECT" in line for line in grants), grants
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP ROLE IF EXISTS hms_i11_probe")
        admin.close()
