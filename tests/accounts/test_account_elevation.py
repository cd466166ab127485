"""Admin and dba: the service account alone can neither grant those roles nor change an account
holding one. A console admin's own password, re-entered and checked against the verifier the
administrative login enrolled, or the administrative login itself (the CLI), is what allows it:
so a stolen service password still cannot make or take over a superuser."""

from __future__ import annotations

import hashlib

import pymysql
import pytest

from hms import console_admins, elevation, errcodes
from hms.accounts import AccountError
from hms.connection import connect
from hms.databases import console_schema
from hms.elevation import ElevationRefused, Reentry
from hms.passwords import generate, native_hash
from tests.support import query
from tests.support.accounts import login, refused


def _call(conn, schema, procedure, *args):
    """CALL schema.procedure(args) as whoever `conn` is; returns the first result's rows."""
    with conn.cursor() as cur:
        cur.execute(f"CALL `{schema}`.`{procedure}`({', '.join(['%s'] * len(args))})", args)
        rows = list(cur.fetchall())
        while cur.nextset():
            pass
        return rows


def _refused_by_server(conn, schema, procedure, *args) -> str:
    """The server's SIGNAL message for the CALL (fails the test unless it is a guard's refusal)."""
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        _call(conn, schema, procedure, *args)
    assert excinfo.value.args[0] == errcodes.SIGNAL_EXCEPTION, excinfo.value.args
    return excinfo.value.args[1]


def _roles(db, name, host="%") -> list[str]:
    return [row[0] for row in query(db, "SELECT Role FROM mysql.roles_mapping WHERE User = %s AND Host = %s",
                                    (name, host))]


def test_the_service_account_alone_cannot_grant_admin_or_dba(service_login, service, migrated, new_name, db):
    schema = console_schema(migrated.database)
    conn = connect(service_login, database=None)
    try:
        for role in ("hms_admin", "hms_dba"):
            name = new_name()
            message = _refused_by_server(conn, schema, "account_create", name, "%", role, native_hash(generate()))
            assert "password re-entered" in message
            assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
        analyst = new_name()
        service.create(analyst, "analyst")
        for role in ("hms_admin", "hms_dba"):
            assert "password re-entered" in _refused_by_server(conn, schema, "account_set_role", analyst, "%", role)
        assert _roles(db, analyst) == ["hms_analyst"]
    finally:
        conn.close()
    # Through the library without a re-entered password or the administrative login: the same refusal.
    with pytest.raises(AccountError, match="password re-entered"):
        service.create(new_name(), "dba")


def test_the_service_account_alone_cannot_take_over_or_touch_a_dba_account(service_login, account, migrated, db):
    dba = account("hms_dba")
    schema = console_schema(migrated.database)
    conn = connect(service_login, database=None)
    try:
        for procedure, args in [("account_set_password", (native_hash(generate()),)), ("account_lock", ()),
                                ("account_unlock", ()), ("account_drop", ()), ("account_set_role", ("hms_qa",))]:
            message = _refused_by_server(conn, schema, procedure, dba.user, "%", *args)
            assert "password re-entered" in message, procedure
    finally:
        conn.close()
    # Its own password still works and it is still a dba: nothing was handed over or changed.
    own = connect(dba, database=None)
    try:
        assert any("hms_dba" in row[0] for row in query(own, "SHOW GRANTS"))
    finally:
        own.close()
    assert _roles(db, dba.user) == ["hms_dba"]


def test_an_enrolled_console_admins_password_grants_and_changes_dba(service, enrolled_admin, new_name, migrated, db):
    admin, password = enrolled_admin
    reentry = Reentry(admin, password)
    name = new_name()
    first = service.create(name, "dba", reentry=reentry)
    conn = login(migrated, name, first, host_database=False)
    try:
        assert any("hms_dba" in row[0] for row in query(conn, "SHOW GRANTS"))
    finally:
        conn.close()
    second = service.set_password(name, reentry=reentry)
    login(migrated, name, second).close()
    service.set_role(name, "admin", reentry=reentry)
    assert _roles(db, name) == ["hms_admin"]
    service.lock(name, reentry=reentry)
    service.drop(name, reentry=reentry)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
    rows = query(db, "SELECT action, outcome, detail FROM hms_test_console.audit_log WHERE target = %s "
                     "ORDER BY audit_id", (f"{name}@%",))
    assert ("elevate", "success", f"console password of {admin} re-entered") in rows
    assert [a for a, o, _ in rows if o == "success" and a != "elevate"] == [
        "create", "set-password", "set-role", "lock", "drop"]
    everything = " ".join(row[0] for row in query(db, "SELECT CONCAT_WS('|', actor, action, target, detail) "
                                                      "FROM hms_test_console.audit_log"))
    assert password not in everything


def test_a_missing_wrong_or_unenrolled_password_is_refused_and_audited(service, enrolled_admin, console_admin,
                                                                        new_name, db):
    admin, password = enrolled_admin
    name = new_name()
    with pytest.raises(ElevationRefused, match="need your console password re-entered"):
        service.create(name, "dba", reentry=Reentry(admin, ""))
    with pytest.raises(ElevationRefused, match="you re-entered is wrong"):
        service.create(name, "dba", reentry=Reentry(admin, password + "x"))
    # A console admin whose password the administrative login never enrolled (as the service
    # account alone can make one) is refused even with its right password.
    other, other_password = console_admin
    with pytest.raises(ElevationRefused, match="has no enrolled password"):
        service.create(name, "admin", reentry=Reentry(other, other_password))
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
    rows = query(db, "SELECT outcome, detail FROM hms_test_console.audit_log WHERE action = 'create' "
                     "AND target = %s ORDER BY audit_id", (f"{name}@%",))
    assert [outcome for outcome, _ in rows] == ["refused"] * 3
    assert "wrong" in rows[1][1] and "no enrolled password" in rows[2][1]
    # The non-privileged roles ignore the field: no password needed.
    service.create(name, "analyst", reentry=Reentry(admin, ""))


def test_a_stolen_service_password_cannot_enrol_or_mint_its_own_ticket(service_login, enrolled_admin, migrated,
                                                                       new_name, db):
    """Everything the service account can reach: read the salt, write console_admin, call
    account_elevate. None of it yields a ticket without the enrolled password."""
    schema = console_schema(migrated.database)
    conn = connect(service_login, database=None)
    name = new_name()
    try:
        admin_id, salt = query(conn, f"SELECT e.admin_id, e.salt FROM `{schema}`.admin_elevation AS e "
                                     f"JOIN `{schema}`.console_admin AS a USING (admin_id) WHERE a.username = %s",
                               (enrolled_admin[0],))[0]
        assert refused(conn, f"SELECT verifier FROM `{schema}`.admin_elevation") == errcodes.COLUMNACCESS_DENIED
        assert refused(conn, f"UPDATE `{schema}`.admin_elevation SET verifier = 'x'") in (
            errcodes.TABLEACCESS_DENIED, errcodes.COLUMNACCESS_DENIED)
        assert refused(conn, f"INSERT INTO `{schema}`.admin_elevation (admin_id, salt, verifier) "
                             "VALUES (1, 'a', 'b')") == errcodes.TABLEACCESS_DENIED
        assert refused(conn, f"INSERT INTO `{schema}`.elevation_ticket (connection_id, expires_at) "
                             "VALUES (CONNECTION_ID(), NOW() + INTERVAL 1 DAY)") == errcodes.TABLEACCESS_DENIED
        # A console admin of its own, with a password it knows: not enrolled, so no key matches.
        mine = generate()
        console_admins.create(conn, schema, f"thief_{name[-8:]}", mine)
        for key in (elevation.derive_key(mine, salt).hex(), hashlib.sha256(b"guess").hexdigest()):
            assert "does not match" in _refused_by_server(conn, schema, "account_elevate", admin_id, key)
        assert "64 hexadecimal" in _refused_by_server(conn, schema, "account_elevate", admin_id, "zz")
        assert "password re-entered" in _refused_by_server(conn, schema, "account_create", name, "%", "hms_dba",
                                                           native_hash(generate()))
        console_admins.delete(conn, schema, f"thief_{name[-8:]}")
    finally:
        conn.close()
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0


def test_a_ticket_serves_only_its_own_connection_and_only_until_it_expires(service_login, enrolled_admin,
                                                                           migrated, new_name, made_accounts, db):
    schema = console_schema(migrated.database)
    first, second = connect(service_login, database=None), connect(service_login, database=None)
    try:
        admin_id, key = elevation.prove(first, schema, Reentry(*enrolled_admin), "tests")
        _call(first, schema, "account_elevate", admin_id, key)
        other, mine, late = new_name(), new_name(), new_name()
        assert "password re-entered" in _refused_by_server(second, schema, "account_create", other, "%", "hms_dba",
                                                           native_hash(generate()))
        _call(first, schema, "account_create", mine, "%", "hms_dba", native_hash(generate()))
        assert _roles(db, mine) == ["hms_dba"]
        with db.cursor() as cur:
            cur.execute(f"UPDATE `{schema}`.elevation_ticket SET expires_at = NOW(3) - INTERVAL 1 SECOND "
                        "WHERE connection_id = %s", (first.thread_id(),))
            assert cur.rowcount == 1
        assert "password re-entered" in _refused_by_server(first, schema, "account_create", late, "%", "hms_dba",
                                                           native_hash(generate()))
    finally:
        first.close()
        second.close()
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User IN (%s, %s)", (other, late))[0][0] == 0


def test_the_cli_grants_and_changes_dba_through_the_administrative_login(hms, new_name, db):
    name = new_name()
    assert hms("users", "create", name, "--role", "dba").exit_code == 0
    assert _roles(db, name) == ["hms_dba"]
    for command in (["users", "set-password", name], ["users", "lock", name], ["users", "set-role", name, "qa"],
                    ["users", "drop", name]):
        result = hms(*command)
        assert result.exit_code == 0, (command, result.output)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0


def test_create_admin_enrols_the_password_it_sets(hms, service, migrated, new_name, db):
    admin, password = f"adm_cli_{new_name()[-8:]}", generate()
    result = hms("console", "create-admin", admin, "--password-stdin", stdin=password + "\n")
    try:
        assert result.exit_code == 0, result.output
        assert "Warning" not in result.output
        name = new_name()
        service.create(name, "admin", reentry=Reentry(admin, password))
        assert _roles(db, name) == ["hms_admin"]
        # A reset enrols the new password; the old one no longer counts.
        new_password = generate()
        assert hms("console", "create-admin", admin, "--reset", "--password-stdin",
                   stdin=new_password + "\n").exit_code == 0
        with pytest.raises(ElevationRefused, match="wrong"):
            service.set_role(name, "dba", reentry=Reentry(admin, password))
        service.set_role(name, "dba", reentry=Reentry(admin, new_password))
        assert _roles(db, name) == ["hms_dba"]
    finally:
        hms("console", "delete-admin", admin)
    # Deleting the admin deletes its enrolment.
    assert query(db, "SELECT COUNT(*) FROM hms_test_console.admin_elevation AS e LEFT JOIN "
                     "hms_test_console.console_admin AS a USING (admin_id) WHERE a.admin_id IS NULL")[0][0] == 0


def test_the_cli_with_only_the_service_password_cannot_enrol_or_grant_dba(service_login, service_home, migrated,
                                                                          new_name, db):
    """`hms` pointed at the server with the service account's login, as whoever stole it would."""
    from click.testing import CliRunner

    from cli import cli

    env = {"HMS_DATABASE_URL": service_login.with_database(migrated.database).url(hide_password=False),
           "HMS_DATABASE": migrated.database, "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": ""}
    admin, name = f"adm_st_{new_name()[-8:]}", new_name()
    try:
        made = CliRunner().invoke(cli, ["console", "create-admin", admin, "--password-stdin"], env=env,
                                  input=generate() + "\n")
        assert made.exit_code == 0 and "Warning: the password was not enrolled" in made.output
        refused_dba = CliRunner().invoke(cli, ["users", "create", name, "--role", "dba"], env=env)
        assert refused_dba.exit_code == 1
        assert "may not vouch for admin and dba changes" in refused_dba.output
    finally:
        CliRunner().invoke(cli, ["console", "delete-admin", admin], env=env)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0


def test_repeated_wrong_re_entries_are_throttled_like_logins(service, enrolled_admin, new_name, db):
    admin, password = enrolled_admin
    name = new_name()
    for _ in range(elevation.THROTTLE.free):
        with pytest.raises(ElevationRefused, match="wrong"):
            service.create(name, "dba", reentry=Reentry(admin, "Wrong-Guess-12345!"))
    with pytest.raises(ElevationRefused, match="too many wrong console passwords"):
        service.create(name, "dba", reentry=Reentry(admin, password))
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
