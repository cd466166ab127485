"""Fixtures of the protected-health-information tests: the CLI against the session's
server, and scratch copies of the console's audit log to tamper with."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from cli import cli
from hms.connection import connect
from tests.support import unique_numbers


@pytest.fixture
def run(server_info, service_home):
    """Invoke hms in-process against the session's server (as tests/cli does); returns click's Result."""
    def invoke(*args, database: str | None = None, url: str | None = None, input=None, env=None):
        base = {"HMS_DATABASE_URL": url or server_info.url(hide_password=False), "HMS_DATABASE": database or "",
                "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": ""}
        return CliRunner().invoke(cli, list(args), env={**base, **(env or {})}, input=input,
                                  catch_exceptions=False)
    return invoke


@pytest.fixture
def scratch_schema(server_info):
    """Factory: an empty schema `hms_tchain<pid>_<n>_console` (and its database name), dropped afterwards."""
    made: list[str] = []
    admin = connect(server_info, database=None)

    def make() -> str:
        database = f"hms_tchain{os.getpid()}_{next(unique_numbers)}"
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{database}_console`")
        made.append(database)
        return database

    yield make
    with admin.cursor() as cur:
        for database in made:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}_console`")
    admin.close()


@pytest.fixture
def live_console(service_login, migrated):
    """The console served on a free local port in a thread; yields its base URL."""
    import secrets

    from console import create_app
    from tests.support.browser import served

    app = create_app({"SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
                      "HMS_DATABASE": migrated.database})
    with served(app) as url:
        yield url


@pytest.fixture
def console_auth(service_login, migrated, console_admin):
    """A logged-out console admin driving the app through Flask's test client (tests/console's `auth`)."""
    import secrets

    from console import create_app
    from tests.support.console_client import Auth, address

    app = create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
                      "HMS_DATABASE": migrated.database})
    with app.test_client() as client:
        client.environ_base["REMOTE_ADDR"] = address()
        yield Auth(client, console_admin)
