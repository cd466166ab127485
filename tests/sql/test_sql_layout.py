"""The layout of sql/: each thing written once, and the console's dynamic SQL behind
one helper that no caller outside the account procedures can use."""

from __future__ import annotations

import re

import pymysql
import pytest

from hms import errcodes
from hms.accounts import AccountManager
from hms.connection import connect
from hms.databases import console_schema
from hms.migrations import SQL_ROOT, split_statements
from tests.support import query

READ_ONLY_ROUTINES = {"calculate_age": "FUNCTION", "calculate_discounted_bill": "FUNCTION", "charge_price_on": "FUNCTION",
                      "doctor_slot_is_free": "FUNCTION", "get_doctor_appointments": "PROCEDURE",
                      "get_doctor_day_schedule": "PROCEDURE", "get_patient_record": "PROCEDURE",
                      "search_patients": "PROCEDURE"}
WRITING_ROUTINES = {"book_appointment": "PROCEDURE", "add_medication_with_stock": "PROCEDURE"}
BILLING_STOCK_ROUTINES = {name: "PROCEDURE" for name in (
    "create_invoice_for_visit", "record_adjustment", "record_payment", "stock_adjust", "stock_destroy_expired",
    "stock_receive", "stock_transfer")}
SCHEDULING_ROUTINES = {name: "PROCEDURE" for name in (
    "book_slot", "cancel_appointment", "reschedule_appointment", "find_free_slots", "waitlist_join", "waitlist_accept",
    "waitlist_expire_offers", "walkin_check_in", "walkin_call_next", "walkin_finish")}
ROUTINE_GRANTS = {"hms_analyst": READ_ONLY_ROUTINES, "hms_auditor": READ_ONLY_ROUTINES,
                  "hms_developer": READ_ONLY_ROUTINES | WRITING_ROUTINES | BILLING_STOCK_ROUTINES | SCHEDULING_ROUTINES,
                  "hms_qa": READ_ONLY_ROUTINES | WRITING_ROUTINES | BILLING_STOCK_ROUTINES,
                  "hms_receptionist": READ_ONLY_ROUTINES | SCHEDULING_ROUTINES}

# The console schema's internal procedures: only the definer procedures call them.
INTERNAL_PROCEDURES = ("run_account_statement", "account_guard", "role_guard", "password_guard")


def test_the_read_only_routines_are_listed_in_one_file():
    files = sorted((SQL_ROOT / "roles").glob("*.sql")) + sorted((SQL_ROOT / "routines").glob("*.sql"))
    for routine in READ_ONLY_ROUTINES:
        naming = [f.name for f in files if f.stem != routine and re.search(rf"\b{routine}\b", f.read_text())]
        assert naming == ["grant_read_only_routines.sql"], routine
    for role in ROUTINE_GRANTS:
        assert f"CALL grant_read_only_routines('{role}');" in (SQL_ROOT / "roles" / f"{role}.sql").read_text()


def test_each_role_holds_execute_on_exactly_its_routines(db, migrated):
    for role, routines in ROUTINE_GRANTS.items():
        lines = [row[0] for row in query(db, f"SHOW GRANTS FOR {role}")]
        held = {m.group(2): m.group(1) for line in lines
                if (m := re.match(rf"GRANT EXECUTE ON (FUNCTION|PROCEDURE) `{migrated.database}`\.`(\w+)` TO ",
                                  line))}
        assert held == routines, role


def test_the_console_routines_prepare_statements_only_in_the_helper():
    for path in sorted((SQL_ROOT / "console" / "routines").glob("*.sql")):
        if path.stem != "run_account_statement":
            sql = " ".join(s.sql for s in split_statements(path.read_text(), path.name))  # no comments
            assert "PREPARE" not in sql.upper(), path.name


def test_the_service_account_runs_every_operation_but_not_the_helper_or_guards(
        service_login, migrated, new_name, db):
    """The service account's per-procedure grants (hms/service_account.py) are enough, and no more."""
    conn = connect(service_login, database=None)
    schema = console_schema(migrated.database)
    try:
        manager = AccountManager(conn, migrated.database, actor="pytest", source="tests")
        name = new_name("t_lay")
        manager.create(name, "analyst")
        assert query(conn, "SELECT @hms_account_sql")[0][0] is None  # the password is not left behind
        manager.set_role(name, "qa")
        manager.set_password(name)
        manager.lock(name)
        manager.unlock(name)
        assert manager.show(name).roles == ["qa"]
        assert any(s.privileges for s in manager.roles())
        manager.drop(name)
        calls = {"run_account_statement": "('CREATE USER t_evil')", "account_guard": "('x', '%', 'new')",
                 "role_guard": "('hms_dba')", "password_guard": "('x')"}
        for procedure in INTERNAL_PROCEDURES:
            with pytest.raises(pymysql.err.MySQLError) as excinfo:
                with conn.cursor() as cur:
                    cur.execute(f"CALL `{schema}`.`{procedure}`{calls[procedure]}")
            assert excinfo.value.args[0] == errcodes.PROCACCESS_DENIED, procedure
    finally:
        conn.close()
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User IN (%s, 't_evil')", (name,))[0][0] == 0


def test_the_helper_runs_with_the_callers_privileges_only(service_login, migrated, db):
    """Even an account that may EXECUTE it (as the schema-wide grant of earlier versions allowed)
    gets nothing from the helper: it is SQL SECURITY INVOKER."""
    conn = connect(service_login, database=None)
    schema = console_schema(migrated.database)
    try:
        with pytest.raises(pymysql.err.MySQLError) as excinfo:
            with conn.cursor() as cur:
                cur.execute(f"CALL `{schema}`.run_account_statement('CREATE USER t_evil2')")
        assert excinfo.value.args[0] in (errcodes.PROCACCESS_DENIED, errcodes.SPECIFIC_ACCESS_DENIED)
    finally:
        conn.close()
    assert query(db, "SELECT SECURITY_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s "
                     "AND ROUTINE_NAME = 'run_account_statement'", (schema,)) == [("INVOKER",)]
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = 't_evil2'")[0][0] == 0


def test_the_grant_helper_gives_hms_admin_nothing(account):
    """hms_admin may EXECUTE every routine of the database, but GRANT needs its own grant option."""
    conn = connect(account("hms_admin"))
    try:
        with pytest.raises(pymysql.err.MySQLError) as excinfo:
            with conn.cursor() as cur:
                cur.execute("CALL grant_read_only_routines('hms_admin')")
        assert excinfo.value.args[0] in (errcodes.DB_ACCESS_DENIED, errcodes.TABLEACCESS_DENIED, errcodes.PROCACCESS_DENIED,
                                         errcodes.SPECIFIC_ACCESS_DENIED, errcodes.CANT_CREATE_USER_WITH_GRANT)
    finally:
        conn.close()
