"""Demote, lock and drop end the account's open sessions, inside the definer procedures."""

from __future__ import annotations

import pymysql
import pytest

from hms import errcodes
from hms.databases import console_schema
from tests.support import query


def _login(migrated, name, password):
    return pymysql.connect(user=name, password=password, host=migrated.host, port=migrated.port,
                           unix_socket=migrated.unix_socket, database=migrated.database,
                           connect_timeout=10, read_timeout=30, autocommit=True)


def _operations(service, name):
    return {"lock": lambda: service.lock(name),
            "drop": lambda: service.drop(name),
            "set-role": lambda: service.set_role(name, "qa")}


@pytest.mark.parametrize("operation", ["lock", "drop", "set-role"])
def test_an_open_session_is_ended(service, new_name, migrated, operation):
    name = new_name()
    password = service.create(name, "analyst")
    sessions = [_login(migrated, name, password) for _ in range(2)]
    try:
        for conn in sessions:
            assert query(conn, "SELECT COUNT(*) >= 0 FROM patient") == [(1,)]
        _operations(service, name)[operation]()
        for conn in sessions:
            with pytest.raises(pymysql.err.OperationalError):
                query(conn, "SELECT COUNT(*) FROM patient")
    finally:
        for conn in sessions:
            conn.close()


def test_other_accounts_sessions_survive(service, new_name, migrated):
    target, bystander = new_name(), new_name()
    target_password = service.create(target, "analyst")
    bystander_password = service.create(bystander, "analyst")
    kept = _login(migrated, bystander, bystander_password)
    doomed = _login(migrated, target, target_password)
    try:
        service.lock(target)
        assert query(kept, "SELECT COUNT(*) >= 0 FROM patient") == [(1,)]
    finally:
        kept.close()
        doomed.close()


def test_the_service_account_cannot_call_the_kill_helper(service_login, migrated, db):
    conn = pymysql.connect(user=service_login.user, password=service_login.password, host=service_login.host,
                           port=service_login.port, unix_socket=service_login.unix_socket, autocommit=True)
    schema = console_schema(migrated.database)
    try:
        with pytest.raises(pymysql.err.MySQLError) as excinfo:
            with conn.cursor() as cur:
                cur.execute(f"CALL `{schema}`.account_kill_connections('root', '%')")
        assert excinfo.value.args[0] == errcodes.PROCACCESS_DENIED
    finally:
        conn.close()
    assert query(db, "SELECT SECURITY_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s "
                     "AND ROUTINE_NAME = 'account_kill_connections'", (schema,)) == [("INVOKER",)]


