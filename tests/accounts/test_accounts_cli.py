"""`hms users` and `hms roles` end to end: the CLI drives the same account service."""

from __future__ import annotations

import json

import pymysql
import pytest

from hms import errcodes


def test_users_create_with_generated_password_logs_in_as_analyst(hms, new_name, migrated):
    name = new_name()
    result = hms("users", "create", name, "--role", "analyst")
    assert result.exit_code == 0, result.output
    password = result.output.split("store it now): ", 1)[1].strip()
    conn = pymysql.connect(user=name, password=password, host=migrated.host, port=migrated.port,
                           unix_socket=migrated.unix_socket, database=migrated.database)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM patient")
            with pytest.raises(pymysql.err.OperationalError) as excinfo:
                cur.execute("INSERT INTO department (name, location) VALUES ('cli', 'x')")
        assert excinfo.value.args[0] == errcodes.TABLEACCESS_DENIED
    finally:
        conn.close()


def test_users_json_outputs_carry_the_contract_keys(hms, new_name):
    name = new_name()
    assert hms("users", "create", name, "--role", "qa", "--password-stdin",
               stdin="Stdin-Pass-42!\n").exit_code == 0
    listed = json.loads(hms("users", "list", "--json").output)
    mine = [a for a in listed if a["name"] == name]
    assert mine and set(mine[0]) >= {"name", "host", "roles", "locked"} and mine[0]["roles"] == ["qa"]
    shown = json.loads(hms("users", "show", name, "--json").output)
    assert set(shown) >= {"name", "host", "roles", "default_roles", "locked", "grants"}
    assert shown["default_roles"] == ["qa"] and not any("PASSWORD" in g for g in shown["grants"])
    roles = json.loads(hms("roles", "list", "--json").output)
    assert [r["name"] for r in roles] == ["admin", "analyst", "developer", "dba", "auditor", "qa", "receptionist", "doctor"]
    assert all(set(r) >= {"name", "mysql_role", "privileges", "members"} for r in roles)
    assert f"{name}@%" in next(r for r in roles if r["name"] == "qa")["members"]


def test_users_set_role_lock_unlock_drop(hms, new_name):
    name = new_name()
    hms("users", "create", name, "--role", "analyst")
    assert hms("users", "set-role", name, "developer").exit_code == 0
    assert hms("users", "lock", name).exit_code == 0
    shown = json.loads(hms("users", "show", name, "--json").output)
    assert shown["roles"] == ["developer"] and shown["locked"] is True
    assert hms("users", "unlock", name).exit_code == 0
    result = hms("users", "set-password", name)
    assert result.exit_code == 0 and "shown once" in result.output
    assert hms("users", "drop", name).exit_code == 0
    assert name not in hms("users", "list").output


@pytest.mark.parametrize("args, message", [
    (["users", "create", "x'@'%' OR 1=1 --", "--role", "analyst"], "is not a valid account name"),
    (["users", "create", "a" * 33, "--role", "analyst"], "is not a valid account name"),
    (["users", "create", "root", "--role", "dba"], "reserved"),
    (["users", "create", "okname", "--role", "analyst", "--host", "bad host"], "not a valid host"),
    (["users", "drop", "nosuchaccount_zz"], "no such account"),
])
def test_bad_input_is_one_error_line_and_exit_1(hms, args, message):
    result = hms(*args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert "Traceback" not in result.output


def test_weak_password_on_stdin_is_refused_without_echoing_it(hms, new_name):
    result = hms("users", "create", new_name(), "--role", "qa", "--password-stdin", stdin="password123\n")
    assert result.exit_code == 1 and "password123" not in result.output
    assert "lacks an upper-case letter" in result.output


def test_unknown_role_is_a_usage_error(hms):
    assert hms("users", "create", "someone", "--role", "superuser").exit_code == 2


@pytest.mark.parametrize("command", [["users"], ["users", "create"], ["users", "list"], ["users", "show"],
                                     ["users", "set-role"], ["users", "set-password"], ["users", "lock"],
                                     ["users", "unlock"], ["users", "drop"], ["roles", "list"]])
def test_every_account_command_has_help_with_an_example(hms, command):
    result = hms(*command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output
