"""Fixtures of the backup tests: the database they back up, the one they restore into,
and the console's DB Tools page (test client and served for the browser)."""

from __future__ import annotations

import os
import secrets

import pytest

from console import create_app
from hms.backup.restore_account import account_name
from hms.connection import connect
from tests.support.browser import served
from tests.support.console_client import Auth
from tests.support.databases import drop_database, make_database


@pytest.fixture(scope="module")
def source(server_info):
    """A migrated database with ~60k rows, shared read-only by the tests of one module."""
    name = f"hms_bksrc_{os.getpid()}"
    yield make_database(server_info, name)
    drop_database(server_info, name)


@pytest.fixture
def target(server_info):
    """A database name to restore into; it, and its restore account, are dropped afterwards."""
    name = f"hms_bkdst_{secrets.token_hex(4)}"
    yield name
    drop_database(server_info, name)
    conn = connect(server_info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT User, Host FROM mysql.user WHERE User = %s", (account_name(name),))
            for user, host in cur.fetchall():
                cur.execute("DROP USER %s@%s", (user, host))
    finally:
        conn.close()


def _console_config(service_login, migrated, backup_dir) -> dict:
    return {"SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
            "HMS_DATABASE": migrated.database, "HMS_BACKUP_DIR": backup_dir, "HMS_BACKUP_LOGIN": migrated}


@pytest.fixture
def app(service_login, migrated, tmp_path):
    """The console app (testing mode), backing up into the test's own directory."""
    return create_app({"TESTING": True, **_console_config(service_login, migrated, tmp_path)})


@pytest.fixture
def auth(app, console_admin):
    """A test client logged in as a console admin, from an address of its own (login throttling)."""
    with app.test_client() as client:
        client.environ_base["REMOTE_ADDR"] = "10.%d.%d.%d" % tuple(secrets.randbelow(250) + 1 for _ in range(3))
        auth = Auth(client, console_admin)
        auth.login()
        yield auth


@pytest.fixture
def live_console(service_login, migrated, tmp_path):
    """The console served on a free local port in a thread; yields its base URL."""
    with served(create_app(_console_config(service_login, migrated, tmp_path))) as url:
        yield url
