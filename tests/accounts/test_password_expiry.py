"""Optional password expiry (PASSWORD EXPIRE INTERVAL n DAY) through `hms users`: set at
create or later, shown by `hms users show` and list, enforced by the server once the
interval has passed, cleared with --never; hms's own accounts are never expired."""

from __future__ import annotations

import json

import pymysql
import pytest

from hms import errcodes
from hms.connection import connect
from hms.databases import console_schema

# A login whose password has expired: sandbox mode (1820) or refused outright (1862).
EXPIRED_CODES = (1820, 1862)


def login(migrated, name: str, password: str):
    return pymysql.connect(user=name, password=password, host=migrated.host, port=migrated.port,
                           unix_socket=migrated.unix_socket, database=migrated.database)


def select_one(migrated, name: str, password: str):
    conn = login(migrated, name, password)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchone()
    finally:
        conn.close()


def age_password(server_info, dialect, name: str, days: int) -> None:
    """As the administrative login: the account's password was set `days` days ago."""
    conn = connect(server_info, database=None)
    try:
        with conn.cursor() as cur:
            if dialect.is_mariadb:
                cur.execute("UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.password_last_changed', "
                            "UNIX_TIMESTAMP() - %s) WHERE User = %s AND Host = '%%'", (days * 86400, name))
            else:
                cur.execute("UPDATE mysql.user SET password_last_changed = NOW() - INTERVAL %s DAY "
                            "WHERE User = %s AND Host = '%%'", (days, name))
            assert cur.rowcount == 1
            cur.execute("FLUSH PRIVILEGES")
    finally:
        conn.close()


def test_a_passed_expiry_interval_expires_the_password_and_users_show_says_so(
        hms, new_name, migrated, server_info, dialect):
    name, password = new_name(), "Expiry-Pass-42!"
    result = hms("users", "create", name, "--role", "analyst", "--expire-days", "1", "--password-stdin",
                 stdin=password + "\n")
    assert result.exit_code == 0 and "expires every 1 days" in result.output, result.output
    shown = json.loads(hms("users", "show", name, "--json").output)
    assert shown["password_expire_days"] == 1 and shown["password_expired"] is False
    assert select_one(migrated, name, password) == (1,)

    age_password(server_info, dialect, name, days=2)
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        select_one(migrated, name, password)
    assert excinfo.value.args[0] in EXPIRED_CODES
    assert "EXPIRED" in hms("users", "show", name).output
    listed = {a["name"]: a for a in json.loads(hms("users", "list", "--json").output)}
    assert listed[name]["password_expired"] is True
    assert "password-expired" in hms("users", "list").output

    # A new password starts a new interval: the account works again.
    assert hms("users", "set-password", name, "--password-stdin", stdin="Renewed-Pass-43!\n").exit_code == 0
    assert select_one(migrated, name, "Renewed-Pass-43!") == (1,)
    assert json.loads(hms("users", "show", name, "--json").output)["password_expired"] is False


def test_users_expire_sets_and_clears_the_interval(hms, new_name, migrated, server_info, dialect):
    name, password = new_name(), "Expiry-Pass-44!"
    assert hms("users", "create", name, "--role", "qa", "--password-stdin", stdin=password + "\n").exit_code == 0
    assert "never expires" in hms("users", "show", name).output
    result = hms("users", "expire", name, "--days", "90")
    assert result.exit_code == 0 and "every 90 days" in result.output, result.output
    assert "expires every 90 days" in hms("users", "show", name).output

    age_password(server_info, dialect, name, days=91)
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        select_one(migrated, name, password)
    assert excinfo.value.args[0] in EXPIRED_CODES
    assert hms("users", "expire", name, "--never").exit_code == 0
    shown = json.loads(hms("users", "show", name, "--json").output)
    assert shown["password_expire_days"] is None and shown["password_expired"] is False
    assert select_one(migrated, name, password) == (1,)


@pytest.mark.parametrize("args", [("--days", "0"), ("--days", "70000"), (), ("--days", "5", "--never")],
                         ids=["zero", "too-many", "neither", "both"])
def test_users_expire_refuses_bad_input_in_one_line(hms, new_name, args):
    name = new_name()
    assert hms("users", "create", name, "--role", "qa").exit_code == 0
    result = hms("users", "expire", name, *args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "never expires" in hms("users", "show", name).output


@pytest.mark.parametrize("user, host", [("root", "localhost"), ("hms_service", "%")])
def test_hms_own_accounts_cannot_be_given_an_expiry_even_by_calling_the_procedure(
        service_login, migrated, user, host):
    conn = connect(service_login, database=None)
    try:
        with conn.cursor() as cur, pytest.raises(pymysql.err.OperationalError) as excinfo:
            cur.execute(f"CALL `{console_schema(migrated.database)}`.account_set_password_expiry(%s, %s, 1)",
                        (user, host))
        assert excinfo.value.args[0] == errcodes.SIGNAL_EXCEPTION and "reserved" in excinfo.value.args[1]
    finally:
        conn.close()
