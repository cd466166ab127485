"""Fixtures of the console tests: the app with Flask's test client, and served for the browser."""

from __future__ import annotations

import secrets

import pytest

from console import create_app
from tests.support.browser import served
from tests.support.console_client import Auth
from tests.support.elevation import enrolled_admin as enrolled


@pytest.fixture
def app(service_login, migrated):
    return create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
                       "HMS_DATABASE": migrated.database, "HMS_ADMIN_LOGIN": migrated})


@pytest.fixture
def auth(app, console_admin):
    with app.test_client() as client:
        # Each test comes from its own address, so login throttling (by name or address) stays per test.
        client.environ_base["REMOTE_ADDR"] = "10.%d.%d.%d" % tuple(secrets.randbelow(250) + 1 for _ in range(3))
        yield Auth(client, console_admin)


@pytest.fixture
def enrolled_admin(service_login, migrated):
    """A console admin (name, password) whose password is enrolled for elevation."""
    with enrolled(service_login, migrated) as admin:
        yield admin


@pytest.fixture
def enrolled_auth(app, enrolled_admin):
    """Like `auth`, for the enrolled admin."""
    with app.test_client() as client:
        client.environ_base["REMOTE_ADDR"] = "10.%d.%d.%d" % tuple(secrets.randbelow(250) + 1 for _ in range(3))
        yield Auth(client, enrolled_admin)


@pytest.fixture
def live_console(service_login, migrated):
    """The console served on a free local port in a thread; yields its base URL."""
    app = create_app({"SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
                      "HMS_DATABASE": migrated.database, "HMS_ADMIN_LOGIN": migrated})
    with served(app) as url:
        yield url
