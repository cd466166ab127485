"""Fixtures of the account tests: the library as the service account uses it, and the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from hms.accounts import AccountManager
from hms.connection import connect
from tests.support.elevation import enrolled_admin as enrolled


@pytest.fixture
def vouched(service_login, migrated):
    """An AccountManager as the CLI has it: the service account, vouched for by the administrative login."""
    conn = connect(service_login, database=None)
    yield AccountManager(conn, migrated.database, actor="pytest", source="tests", admin=migrated)
    conn.close()


@pytest.fixture
def hms(migrated, service_login, service_home):
    """Run `hms ...` against the test database as the CLI would; returns the click Result."""
    env = {"HMS_DATABASE_URL": migrated.url(hide_password=False), "HMS_DATABASE": migrated.database,
           "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": ""}

    def run(*args: str, stdin: str | None = None):
        return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)
    return run


@pytest.fixture
def enrolled_admin(service_login, migrated):
    """A console admin (name, password) whose password is enrolled for elevation."""
    with enrolled(service_login, migrated) as admin:
        yield admin
