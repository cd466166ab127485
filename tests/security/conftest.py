"""Fixtures of the protected-health-information tests: the CLI against the session's
server, and scratch copies of the console's audit log to tamper with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from hms.connection import connect
from hms.server import EmbeddedServer
from tests.support import embedded_home, unique_numbers


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


def hms_process(home, *args) -> subprocess.CompletedProcess:
    """Run hms in its own process (a server it starts is not this process's child)."""
    exe = Path(sys.executable).with_name("hms")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    env["HMS_HOME"] = str(home)
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=300)


def outward_address() -> tuple[str, str]:
    """(address to bind, address to connect to): this machine's first non-loopback address, else all."""
    found = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    v4 = [a for a in found if "." in a and not a.startswith("127.")]
    return (v4[0], v4[0]) if v4 else ("0.0.0.0", "127.0.0.1")


@pytest.fixture(scope="session")
def bound():
    """A migrated embedded server started by `hms server start --bind ADDRESS --password-check`; yields (home, address, port, hms)."""
    bind, address = outward_address()
    with embedded_home("tls") as home:
        env = {"HMS_HOME": str(home), "HMS_DATABASE_URL": "", "HMS_DATABASE": "hms", "HMS_SERVICE_PASSWORD": ""}

        def hms(*args, input=None):
            return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
        try:
            result = hms_process(home, "server", "start", "--bind", bind, "--password-check")
            assert result.returncode == 0, result.stderr
            assert hms("db", "migrate").exit_code == 0
            yield home, address, EmbeddedServer(home).connection_info().port, hms
        finally:
            EmbeddedServer(home).stop()
