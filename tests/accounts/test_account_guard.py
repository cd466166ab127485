"""The account guard manages pure hms-role accounts only, refuses a new name that would shadow
an account hms does not manage, and account_grants never hands the service account a
password hash."""

from __future__ import annotations

import re
import secrets

import pymysql
import pytest

from hms import errcodes
from hms.accounts import AccountError
from hms.connection import connect
from hms.databases import console_schema
from hms.grants import without_secret
from hms.passwords import generate
from tests.support import query


# What a hand-made grant adds to a pure hms_qa account, and the reason the guard gives.
EXTRAS = [
    ("GRANT SELECT ON mysql.user TO {account}", "holds privileges on the mysql schema"),
    ("GRANT SELECT ON mysql.* TO {account}", "holds privileges on the mysql schema"),
    ("GRANT PROCESS ON *.* TO {account}", "holds global privileges of its own"),
    ("GRANT SELECT ON `{database}`.* TO {account}", "holds privileges of its own that hms did not grant"),
    ("GRANT SELECT ON `{database}`.department TO {account}", "holds privileges of its own that hms did not grant"),
    ("GRANT PROXY ON 't_nobody'@'%' TO {account}", "holds privileges of its own that hms did not grant"),
    ("GRANT {role} TO {account}", "holds a role hms did not grant"),
    ("GRANT hms_qa TO {account} WITH ADMIN OPTION", "holds a role hms did not grant"),
]


@pytest.fixture
def extra_role(db):
    """A role that is not one of hms's, dropped afterwards."""
    role = f"t_role_{secrets.token_hex(4)}"
    with db.cursor() as cur:
        cur.execute(f"CREATE ROLE {role}")
    yield role
    with db.cursor() as cur:
        cur.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.mark.parametrize("grant, reason", EXTRAS, ids=["mysql-table", "mysql-schema", "global", "database", "table",
                                                        "proxy", "other-role", "admin-option"])
def test_an_account_holding_more_than_its_hms_role_is_not_managed(service, account, migrated, db, extra_role,
                                                                   grant, reason):
    qa = account("hms_qa")
    with db.cursor() as cur:
        cur.execute(grant.format(account=f"'{qa.user}'@'%'", database=migrated.database, role=extra_role))
    for operation in (lambda: service.set_password(qa.user, password=generate()), lambda: service.lock(qa.user),
                      lambda: service.set_role(qa.user, "analyst"), lambda: service.drop(qa.user)):
        with pytest.raises(AccountError, match=reason):
            operation()
    # Listed or not (a role held WITH ADMIN OPTION does not count as held), it is not shown.
    with pytest.raises(AccountError, match=f"{reason}|no hms-managed account"):
        service.show(qa.user)
    # Nothing was handed over: the old password still logs in, unlocked, still hms_qa.
    conn = connect(qa, database=None)
    conn.close()
    assert query(db, "SELECT COUNT(*) FROM mysql.roles_mapping WHERE User = %s AND Role = 'hms_qa'",
                 (qa.user,))[0][0] == 1


def test_a_pure_hms_account_is_still_managed(service, account):
    qa = account("hms_qa")
    service.lock(qa.user)
    service.unlock(qa.user)
    assert service.show(qa.user).roles == ["qa"]


def test_a_name_held_by_an_account_hms_does_not_manage_is_refused_at_any_host(service, hms, new_name, made_accounts,
                                                                              db):
    name = new_name("t_app")
    made_accounts.append((name, "127.0.0.1"))
    with db.cursor() as cur:
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, generate()))
    with pytest.raises(AccountError, match=f"'{name}'@'%' exists and is not managed by hms: choose another name"):
        service.create(name, "analyst", host="127.0.0.1")
    result = hms("users", "create", name, "--role", "analyst", "--host", "127.0.0.1")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [f"Error: the server refused: '{name}'@'%' exists and is not managed by hms: choose another "
                     "name. Nothing was changed."]
    assert query(db, "SELECT Host FROM mysql.user WHERE User = %s", (name,)) == [("%",)]


def test_a_second_host_for_an_hms_managed_name_is_allowed(service, new_name, made_accounts, db):
    name = new_name()
    made_accounts.append((name, "localhost"))
    service.create(name, "analyst")
    service.create(name, "qa", host="localhost")
    assert sorted(query(db, "SELECT Host FROM mysql.user WHERE User = %s", (name,))) == [("%",), ("localhost",)]


def test_account_grants_never_returns_a_password_hash(service_login, service, migrated, dialect, new_name, db):
    """What the service account receives equals SHOW GRANTS without its authentication clause."""
    schema = console_schema(migrated.database)
    hashed, plugin = new_name(), new_name()
    service.create(hashed, "analyst")
    with db.cursor() as cur:
        if dialect.is_mariadb:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED VIA unix_socket OR mysql_native_password "
                        "USING PASSWORD(%s)", (plugin, generate()))
        else:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED WITH caching_sha2_password BY %s", (plugin, generate()))
        cur.execute("GRANT hms_qa TO %s@'%%'", (plugin,))
    conn = connect(service_login, database=None)
    try:
        for name in (hashed, plugin):
            with conn.cursor() as cur:
                cur.execute(f"CALL `{schema}`.account_grants(%s, '%%')", (name,))
                received = [row[0] for row in cur.fetchall()]
                while cur.nextset():
                    pass
            text = " ".join(received)
            for secret in ("IDENTIFIED", "PASSWORD", "USING", "unix_socket"):
                assert secret not in text, (name, received)
            assert not re.search(r"\*[0-9A-Fa-f]{40}|\$A\$", text), received
            server = [without_secret(row[0]) for row in query(db, "SHOW GRANTS FOR %s@'%%'", (name,))]
            assert sorted(received) == sorted(server)
            assert any("hms_" in line for line in received)
    finally:
        conn.close()
    assert all("IDENTIFIED" not in line for line in service.show(hashed).grants)


def test_reading_the_grants_of_an_account_that_is_not_pure_is_refused(service_login, account, migrated, db):
    qa = account("hms_qa")
    with db.cursor() as cur:
        cur.execute("GRANT SELECT ON mysql.user TO %s@'%%'", (qa.user,))
    conn = connect(service_login, database=None)
    try:
        with pytest.raises(pymysql.err.MySQLError) as excinfo, conn.cursor() as cur:
            cur.execute(f"CALL `{console_schema(migrated.database)}`.account_grants(%s, '%%')", (qa.user,))
        assert excinfo.value.args[0] == errcodes.SIGNAL_EXCEPTION
        assert "mysql schema" in excinfo.value.args[1]
    finally:
        conn.close()
