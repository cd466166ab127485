"""The account service against a real server: accounts made through it log in and
can do exactly what their role allows; role change, lock and drop reach the server;
the service account itself can do nothing else."""

from __future__ import annotations

import pymysql
import pytest

from hms import dialect as dialects
from hms import errcodes
from hms.accounts import AccountError, InvalidAccountName
from hms.connection import connect
from hms.databases import console_schema
from hms.migrations import SQL_ROOT, Migrator
from hms.passwords import WeakPassword, generate
from hms.roles import UnknownRole
from tests.support import query
from tests.support.accounts import login, refused

BAD_NAMES = ["x'@'%' OR 1=1 --", "<script>alert(1)</script>", "a" * 33, "alice\n", "", "1abc",
             "al ice", "ünïcode", "root", "hms_service", "mysql.sys", "HMS_admin"]
LOCKED_CODES = (errcodes.ACCOUNT_LOCKED, errcodes.MARIADB_ACCOUNT_LOCKED)


def test_analyst_created_by_the_service_can_select_and_cannot_insert(service, new_name, migrated):
    name = new_name()
    password = service.create(name, "analyst")
    assert password and len(password) >= 20
    conn = login(migrated, name, password)
    try:
        assert query(conn, "SELECT COUNT(*) FROM department")[0][0] >= 0
        assert refused(conn, "INSERT INTO department (name, location) VALUES ('x', 'y')") == errcodes.TABLEACCESS_DENIED
        assert refused(conn, f"SELECT * FROM `{console_schema(migrated.database)}`.console_admin") \
            in (errcodes.TABLEACCESS_DENIED, errcodes.DB_ACCESS_DENIED)
    finally:
        conn.close()


@pytest.mark.parametrize("role, allowed, denied", [
    ("qa", "INSERT INTO department (name, location) VALUES (%s, 'QA wing')", "UPDATE department SET location = 'x'"),
    ("developer", "INSERT INTO department (name, location) VALUES (%s, 'Dev wing')", "CREATE TABLE t_dev (id INT)"),
    ("admin", "CREATE TEMPORARY TABLE t_adm (id INT) -- %s", "CREATE USER t_nobody"),
])
def test_each_writing_role_can_do_its_row_and_is_refused_the_next_step(vouched, new_name, migrated, db,
                                                                        role, allowed, denied):
    name = new_name()
    password = vouched.create(name, role)
    conn = login(migrated, name, password)
    try:
        with conn.cursor() as cur:
            cur.execute(allowed, (f"Dept {name}",))
        assert refused(conn, denied) in (errcodes.TABLEACCESS_DENIED, errcodes.DB_ACCESS_DENIED,
                                         errcodes.SPECIFIC_ACCESS_DENIED)
    finally:
        conn.close()
        with db.cursor() as cur:
            cur.execute("DELETE FROM department WHERE name = %s", (f"Dept {name}",))


def test_auditor_reads_the_audit_log_but_not_the_console_admins(service, new_name, migrated):
    name = new_name()
    password = service.create(name, "auditor")
    schema = console_schema(migrated.database)
    conn = login(migrated, name, password)
    try:
        rows = query(conn, f"SELECT action, target FROM `{schema}`.audit_log WHERE target = %s", (f"{name}@%",))
        assert ("create", f"{name}@%") in rows
        assert refused(conn, f"SELECT password_hash FROM `{schema}`.console_admin") == errcodes.TABLEACCESS_DENIED
    finally:
        conn.close()


def test_role_change_reaches_the_server(service, new_name, migrated, db):
    name = new_name()
    password = service.create(name, "analyst")
    service.set_role(name, "qa")
    account = service.show(name)
    assert account.roles == ["qa"] and account.default_roles == ["qa"]
    conn = login(migrated, name, password)
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO department (name, location) VALUES (%s, 'Moved')", (f"Dept {name}",))
        assert refused(conn, "DELETE FROM department WHERE name = %s", (f"Dept {name}",)) == \
            errcodes.TABLEACCESS_DENIED
    finally:
        conn.close()
        with db.cursor() as cur:
            cur.execute("DELETE FROM department WHERE name = %s", (f"Dept {name}",))
    grants = " ".join(account.grants)
    assert "hms_qa" in grants and "hms_analyst" not in grants


def test_lock_unlock_and_set_password_reach_the_server(service, new_name, migrated):
    name = new_name()
    first = service.create(name, "analyst")
    service.lock(name)
    assert service.show(name).locked
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        login(migrated, name, first)
    assert excinfo.value.args[0] in LOCKED_CODES
    service.unlock(name)
    second = generate()
    assert service.set_password(name, password=second) is None
    with pytest.raises(pymysql.err.OperationalError):
        login(migrated, name, first)
    login(migrated, name, second).close()


def test_drop_removes_the_account_from_the_server(service, new_name, migrated, db):
    name = new_name()
    password = service.create(name, "qa", host="localhost" if migrated.unix_socket else "%")
    host = service.list(name)[0].host
    service.drop(name, host=host)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
    assert service.list(name) == []
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        login(migrated, name, password)
    assert excinfo.value.args[0] == errcodes.ACCESS_DENIED


def test_given_password_is_used_and_weak_ones_are_refused(service, new_name, migrated, db):
    name = new_name()
    with pytest.raises(WeakPassword, match="lacks a digit|lacks a symbol|needs 12"):
        service.create(name, "analyst", password="short")
    with pytest.raises(WeakPassword, match="contains the account name"):
        service.create(name, "analyst", password=f"Xx1!{name}")
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
    password = "Correct-Horse-9-Battery"
    assert service.create(name, "analyst", password=password) is None
    login(migrated, name, password).close()


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_bad_names_are_refused_before_and_by_the_server(service, service_login, bad, db):
    before = query(db, "SELECT User, Host FROM mysql.user WHERE User = %s", (bad,))
    with pytest.raises(InvalidAccountName):
        service.create(bad, "analyst")
    # The procedure refuses the same name on its own, for a caller that skips Python.
    conn = connect(service_login, database=None)
    try:
        code = refused(conn, f"CALL `{service.schema}`.account_create(%s, '%%', 'hms_analyst', %s)",
                       (bad, generate()))
    finally:
        conn.close()
    assert code == errcodes.SIGNAL_EXCEPTION
    assert query(db, "SELECT User, Host FROM mysql.user WHERE User = %s", (bad,)) == before


@pytest.mark.parametrize("host", ["x'); DROP USER root; --", "a b", "h" * 61, "<b>"])
def test_bad_hosts_are_refused(service, new_name, host):
    with pytest.raises(InvalidAccountName, match="not a valid host"):
        service.create(new_name(), "analyst", host=host)


def test_unknown_roles_are_refused_by_python_and_by_the_server(service, service_login, new_name, db):
    name = new_name()
    with pytest.raises(UnknownRole):
        service.create(name, "superuser")
    conn = connect(service_login, database=None)
    try:
        for role in ("root", "hms_superuser", "hms_admin` TO x; --"):
            assert refused(conn, f"CALL `{service.schema}`.account_create(%s, '%%', %s, %s)",
                           (name, role, generate())) == errcodes.SIGNAL_EXCEPTION
    finally:
        conn.close()
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0


def test_service_account_cannot_touch_root_or_create_users_directly(service_login, server_info):
    conn = connect(service_login, database=None)
    try:
        assert refused(conn, "ALTER USER root@localhost ACCOUNT LOCK") in (
            errcodes.SPECIFIC_ACCESS_DENIED, errcodes.ACCESS_DENIED, 1698)
        assert refused(conn, "CREATE USER t_evil@'%' IDENTIFIED BY 'Aa1!aaaaaaaaa'") == errcodes.SPECIFIC_ACCESS_DENIED
        assert refused(conn, "GRANT hms_dba TO hms_service@'%'") in (errcodes.SPECIFIC_ACCESS_DENIED, 1698, 1227)
        assert refused(conn, "SELECT * FROM mysql.user") == errcodes.TABLEACCESS_DENIED
        for procedure in ("account_drop", "account_lock", "account_grants"):
            assert refused(conn, f"CALL `hms_test_console`.{procedure}('root', 'localhost')") == \
                errcodes.SIGNAL_EXCEPTION
        assert refused(conn, "CALL `hms_test_console`.account_set_password('hms_service', '%', 'Aa1!bbbbbbbbbb')") \
            == errcodes.SIGNAL_EXCEPTION
    finally:
        conn.close()
    admin = connect(server_info, database=None)
    try:
        assert query(admin, "SELECT 1")[0][0] == 1  # root still logs in
    finally:
        admin.close()


def test_accounts_without_an_hms_role_are_not_managed(service, new_name, db):
    name = new_name("t_plain")
    with db.cursor() as cur:
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, generate()))
    with pytest.raises(AccountError, match="holds no hms role"):
        service.drop(name)
    with pytest.raises(AccountError, match="no hms-managed account"):
        service.show(name)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 1


def test_creating_an_existing_account_is_refused_and_leaves_it_alone(service, new_name, migrated):
    name = new_name()
    password = service.create(name, "analyst")
    with pytest.raises(AccountError, match="already exists"):
        service.create(name, "dba")
    login(migrated, name, password).close()
    assert service.show(name).roles == ["analyst"]


def test_a_creation_that_fails_after_create_user_is_undone(server_info, fresh_database, made_accounts):
    """A definer that may CREATE USER but not grant the role: GRANT fails, the new user is dropped."""
    limited = "t_lim_" + fresh_database.database[-8:]
    password = generate()
    console = console_schema(fresh_database.database)
    admin = connect(server_info, database=None)
    made_accounts.append((limited, "%"))
    try:
        with admin.cursor() as cur:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (limited, password))
            cur.execute("GRANT CREATE USER ON *.* TO %s@'%%'", (limited,))
            cur.execute("GRANT SELECT ON mysql.* TO %s@'%%'", (limited,))
            cur.execute(f"GRANT ALL PRIVILEGES ON `{console}`.* TO %s@'%%'", (limited,))
            cur.execute(f"CREATE DATABASE `{console}`")
        definer = server_info.with_login(limited, password).with_database(console)
        Migrator(definer, sql_root=SQL_ROOT / "console", with_console=False, label="sql/console").migrate()
        conn = connect(definer)
        try:
            target = "t_half_" + fresh_database.database[-6:]
            made_accounts.append((target, "%"))
            # The definer can create users, so the step that fails is the later GRANT.
            with conn.cursor() as cur:
                cur.execute("CREATE USER %s@'%%'", (target,))
                cur.execute("DROP USER %s@'%%'", (target,))
            code = refused(conn, "CALL account_create(%s, '%%', 'hms_analyst', %s)",
                           (target, dialects.for_connection(conn).password_hash(generate())))
        finally:
            conn.close()
        assert code != errcodes.SIGNAL_EXCEPTION  # the GRANT failed, not a guard
        assert query(admin, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (target,))[0][0] == 0
    finally:
        admin.close()


def test_roles_report_privileges_and_members_from_the_server(service, new_name):
    name = new_name()
    service.create(name, "auditor")
    summaries = {s.role.name: s for s in service.roles()}
    assert set(summaries) == {"admin", "analyst", "developer", "dba", "auditor", "qa", "receptionist", "doctor"}
    assert f"{name}@%" in summaries["auditor"].members
    assert any(p.startswith("SELECT ON `hms_test`.*") for p in summaries["analyst"].privileges)
    assert any("audit_log" in p for p in summaries["auditor"].privileges)
    assert any("WITH GRANT OPTION" in p for p in summaries["dba"].privileges)


def test_every_operation_is_audited_and_no_password_is_written(service, new_name, db):
    name = new_name()
    password = service.create(name, "analyst")
    with pytest.raises(InvalidAccountName):
        service.create("<script>", "analyst")
    given = "Given-Pass-123!x"
    service.set_password(name, password=given)
    service.lock(name)
    service.drop(name)
    rows = query(db, "SELECT action, outcome, target, COALESCE(detail, '') FROM hms_test_console.audit_log "
                     "WHERE actor = 'pytest' ORDER BY audit_id DESC LIMIT 20")
    actions = [(a, o) for a, o, t, _ in rows if t == f"{name}@%"]
    assert {("create", "success"), ("set-password", "success"), ("lock", "success"),
            ("drop", "success")} <= set(actions)
    assert ("create", "refused", "<script>@%") in [(a, o, t) for a, o, t, _ in rows]
    everything = query(db, "SELECT CONCAT_WS('|', actor, action, target, detail, source) "
                           "FROM hms_test_console.audit_log")
    text = " ".join(row[0] for row in everything)
    assert password not in text and given not in text
