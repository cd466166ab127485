"""The layout of sql/: each thing written once, and the console's dynamic SQL behind
one helper that no caller outside the account procedures can use."""

from __future__ import annotations

import re
import secrets

import pymysql
import pytest

from hms import errcodes
from hms.accounts import AccountManager
from hms.connection import connect
from hms.databases import console_schema
from hms.passwords import generate
from hms.migrations import SQL_ROOT, split_statements

from .accounts_fixtures import made_accounts, new_name, service_home, service_login  # noqa: F401
from .conftest import query

READ_ONLY_ROUTINES = {"calculate_age": "FUNCTION", "calculate_discounted_bill": "FUNCTION",
                      "doctor_slot_is_free": "FUNCTION", "get_doctor_appointments": "PROCEDURE",
                      "get_doctor_day_schedule": "PROCEDURE", "get_patient_record": "PROCEDURE",
                      "search_patients": "PROCEDURE"}
WRITING_ROUTINES = {"book_appointment": "PROCEDURE", "add_medication_with_stock": "PROCEDURE"}
ROUTINE_GRANTS = {"hms_analyst": READ_ONLY_ROUTINES, "hms_auditor": READ_ONLY_ROUTINES,
                  "hms_developer": READ_ONLY_ROUTINES | WRITING_ROUTINES,
                  "hms_qa": READ_ONLY_ROUTINES | WRITING_ROUTINES}

# The console's public procedures: the service account's only EXECUTE grants
# (hms/service_account.py GRANTS), never the helper or the guards.
PUBLIC_PROCEDURES = ("account_create", "account_drop", "account_grants", "account_list", "account_lock",
                     "account_set_password", "account_set_role", "account_unlock", "role_grants")
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


@pytest.fixture
def per_procedure_login(migrated, server_info, made_accounts):
    """An account granted what the service account is meant to hold: EXECUTE on the public
    procedures one by one, and the console's two tables."""
    name, password = f"t_svc_{secrets.token_hex(4)}", generate()
    schema = f"`{console_schema(migrated.database)}`"
    admin = connect(server_info, database=None)
    try:
        with admin.cursor() as cur:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
            made_accounts.append((name, "%"))
            for procedure in PUBLIC_PROCEDURES:
                cur.execute(f"GRANT EXECUTE ON PROCEDURE {schema}.`{procedure}` TO %s@'%%'", (name,))
            cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.`console_admin` TO %s@'%%'", (name,))
            cur.execute(f"GRANT SELECT, INSERT ON {schema}.`audit_log` TO %s@'%%'", (name,))
    finally:
        admin.close()
    return migrated.with_login(name, password)


def test_per_procedure_grants_run_every_operation_but_not_the_helper_or_guards(
        per_procedure_login, migrated, new_name, db):
    conn = connect(per_procedure_login, database=None)
    schema = console_schema(migrated.database)
    try:
        service = AccountManager(conn, migrated.database, actor="pytest", source="tests")
        name = new_name("t_lay")
        service.create(name, "analyst")
        assert query(conn, "SELECT @hms_account_sql")[0][0] is None  # the password is not left behind
        service.set_role(name, "qa")
        service.set_password(name)
        service.lock(name)
        service.unlock(name)
        assert service.show(name).roles == ["qa"]
        assert any(s.privileges for s in service.roles())
        service.drop(name)
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
        assert excinfo.value.args[0] in (1044, 1142, errcodes.PROCACCESS_DENIED, 1227, 1410)
    finally:
        conn.close()
