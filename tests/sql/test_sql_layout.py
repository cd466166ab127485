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
# book_appointment runs as its invoker, so its callers also EXECUTE what it shares with book_slot.
WRITING_ROUTINES = {"book_appointment": "PROCEDURE", "appointment_book_seat": "PROCEDURE",
                    "add_medication_with_stock": "PROCEDURE"}
BILLING_STOCK_ROUTINES = {name: "PROCEDURE" for name in (
    "create_invoice_for_visit", "record_adjustment", "record_payment", "stock_adjust", "stock_destroy_expired",
    "stock_receive", "stock_transfer")}
SCHEDULING_ROUTINES = {name: "PROCEDURE" for name in (
    "book_slot", "cancel_appointment", "reschedule_appointment", "find_free_slots", "waitlist_join", "waitlist_accept",
    "waitlist_expire_offers", "walkin_check_in", "walkin_call_next", "walkin_finish")}
ROUTINE_GRANTS = {"hms_analyst": READ_ONLY_ROUTINES, "hms_auditor": READ_ONLY_ROUTINES,
                  "hms_developer": READ_ONLY_ROUTINES | WRITING_ROUTINES | BILLING_STOCK_ROUTINES | SCHEDULING_ROUTINES,
                  "hms_qa": READ_ONLY_ROUTINES | WRITING_ROUTINES | BILLING_STOCK_ROUTINES,
                  "hms_receptionist": READ_ONLY_ROUTINES | SCHEDULING_ROUTINES
                  | {"create_invoice_for_visit": "PROCEDURE", "record_payment": "PROCEDURE"},  # not adjustments, not stock
                  "hms_doctor": {"find_free_slots": "PROCEDURE"},
                  "hms_admin": {}, "hms_dba": {}}  # admin and dba: ALL PRIVILEGES covers every routine
SETS = {"@read_only": READ_ONLY_ROUTINES, "@billing_stock": BILLING_STOCK_ROUTINES, "@scheduling": SCHEDULING_ROUTINES}

# The console schema's internal procedures: only the definer procedures call them.
INTERNAL_PROCEDURES = ("run_account_statement", "account_guard", "role_guard", "password_guard")


def test_routines_are_granted_only_through_grant_routines_and_each_set_is_listed_once():
    roles = sorted((SQL_ROOT / "roles").glob("*.sql"))
    for path in roles:  # no role file grants a routine by hand
        sql = " ".join(s.sql for s in split_statements(path.read_text(), path.name))
        assert not re.search(r"EXECUTE\s+ON|ON\s+(FUNCTION|PROCEDURE)", sql, re.I), path.name
    helper = (SQL_ROOT / "routines" / "grant_routines.sql").read_text()
    for routines in SETS.values():  # each set in the helper, and no role file copies a whole set
        assert all(re.search(rf"\b{routine}\b", helper) for routine in routines)
        for path in roles:
            assert not all(re.search(rf"\b{routine}\b", path.read_text()) for routine in routines), path.name
    for role in ROUTINE_GRANTS:
        calls = re.findall(rf"CALL grant_routines\('{role}', '([^']*)'\);", (SQL_ROOT / "roles" / f"{role}.sql").read_text())
        assert len(calls) == (1 if ROUTINE_GRANTS[role] else 0), role


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
                cur.execute("CALL grant_routines('hms_admin', '@read_only')")
        assert excinfo.value.args[0] in (errcodes.DB_ACCESS_DENIED, errcodes.TABLEACCESS_DENIED, errcodes.PROCACCESS_DENIED,
                                         errcodes.SPECIFIC_ACCESS_DENIED, errcodes.CANT_CREATE_USER_WITH_GRANT)
    finally:
        conn.close()


@pytest.mark.parametrize("role, routines, says", [
    ("t_grant_probe", "search_patients, no_such_routine", "no routine no_such_routine"),
    ("t_grant_probe", "search_patients, Search_Patients", "is not a routine name"),
    ("t_grant_probe", "search_patients, `search_patients`", "is not a routine name"),
    ("t_grant_probe", "search_patients, @no_such_set", "is not a routine name or a @set"),
    ("t_grant_probe", "search_patients,,calculate_age", "is not a routine name"),
    ("t_grant_probe", " ", "name at least one routine"),
    ("t_grant_probe` TO root", "search_patients", "name a role"),
])
def test_grant_routines_refuses_a_bad_list_whole(db, role, routines, says):
    """Names must pass the pattern and exist; one bad name and nothing of the list is granted."""
    with db.cursor() as cur:
        cur.execute("CREATE ROLE IF NOT EXISTS t_grant_probe")
    try:
        with pytest.raises(pymysql.err.MySQLError) as excinfo:
            with db.cursor() as cur:
                cur.execute("CALL grant_routines(%s, %s)", (role, routines))
        assert excinfo.value.args[0] == errcodes.SIGNAL_EXCEPTION and says in excinfo.value.args[1]
        assert not [line for (line,) in query(db, "SHOW GRANTS FOR t_grant_probe") if "EXECUTE" in line]
    finally:
        with db.cursor() as cur:
            cur.execute("DROP ROLE IF EXISTS t_grant_probe")


def test_grant_routines_grants_each_kind_and_the_sets(db, migrated):
    with db.cursor() as cur:
        cur.execute("CREATE ROLE IF NOT EXISTS t_grant_probe")
    try:
        with db.cursor() as cur:
            cur.execute("CALL grant_routines('t_grant_probe', '@read_only,\n  book_appointment')")
        lines = [row[0] for row in query(db, "SHOW GRANTS FOR t_grant_probe")]
        held = {m.group(2): m.group(1) for line in lines
                if (m := re.match(rf"GRANT EXECUTE ON (FUNCTION|PROCEDURE) `{migrated.database}`\.`(\w+)` TO ", line))}
        assert held == READ_ONLY_ROUTINES | {"book_appointment": "PROCEDURE"}
    finally:
        with db.cursor() as cur:
            cur.execute("DROP ROLE IF EXISTS t_grant_probe")
