"""Fixtures shared by the account and console tests: the service account and clean-up."""

from __future__ import annotations

import contextlib
import secrets

import pytest

from hms import console_admins
from hms.accounts import AccountManager
from hms.connection import ConnectionInfo, connect
from hms.databases import console_schema
from hms.passwords import generate
from hms.service_account import ensure


@pytest.fixture(scope="session")
def service_home(tmp_path_factory):
    """An HMS_HOME holding only the service account's 0600 password file."""
    return tmp_path_factory.mktemp("hms-service-home")


@pytest.fixture(scope="session")
def service_login(migrated, service_home) -> ConnectionInfo:
    """The service account's login, created the way `hms db migrate` creates it."""
    return ensure(migrated, service_home, env={})


@pytest.fixture
def made_accounts(server_info):
    """A list tests append (name, host) to; every account in it is dropped afterwards."""
    made: list[tuple[str, str]] = []
    yield made
    conn = connect(server_info, database=None)
    with conn.cursor() as cur:
        for name, host in made:
            cur.execute("DROP USER IF EXISTS %s@%s", (name, host))
    conn.close()


@pytest.fixture
def new_name(made_accounts):
    """Factory: a fresh account name, registered for clean-up under host %."""
    def make(prefix: str = "t_acc", host: str = "%") -> str:
        name = f"{prefix}_{secrets.token_hex(4)}"
        made_accounts.append((name, host))
        return name
    return make


@pytest.fixture
def service(service_login, migrated):
    """An AccountManager logged in as the service account, on the migrated test database."""
    conn = connect(service_login, database=None)
    yield AccountManager(conn, migrated.database, actor="pytest", source="tests")
    conn.close()


@pytest.fixture
def console_admin(service_login, migrated):
    """A console admin (name, password), deleted afterwards unless the test already did."""
    name, password = f"adm_{secrets.token_hex(4)}", generate()
    schema = console_schema(migrated.database)
    conn = connect(service_login, database=None)
    console_admins.create(conn, schema, name, password)
    yield name, password
    with contextlib.suppress(console_admins.AdminError):
        console_admins.delete(conn, schema, name)
    conn.close()
