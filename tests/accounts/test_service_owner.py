"""The console's service account (hms_service, server-wide) has one owner per server: a
second HMS_HOME pointed at the same server does not silently rotate its password, and a
home whose password stopped working is told the real cause, not to check its URL."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from cli import cli
from console import create_app
from hms.connection import connect
from hms.service_account import PASSWORD_FILE, ensure
from tests.support.console_client import browser, log_in

TAKE_OVER = "--take-over-service-account"


@pytest.fixture
def run_in(migrated):
    """Factory: run `hms ...` with another HMS_HOME against the session's database."""
    def run(home, *args: str, password: str = ""):
        env = {"HMS_DATABASE_URL": migrated.url(hide_password=False), "HMS_DATABASE": migrated.database,
               "HMS_HOME": str(home), "HMS_SERVICE_PASSWORD": password}
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return run


@pytest.fixture
def owner_kept(migrated, service_home, service_login):
    """The session's home owns the account again after the test, whatever the test did."""
    yield
    ensure(migrated, service_home, env={}, take_over=True)
    connect(service_login, database=None).close()


def still_works(run_in, service_home, service_login) -> None:
    """The owning home's `hms users` and service login work."""
    result = run_in(service_home, "users", "list")
    assert result.exit_code == 0, result.output
    connect(service_login, database=None).close()


def test_a_second_home_does_not_rotate_the_password_and_is_told_why(
        run_in, tmp_path, service_home, service_login, owner_kept):
    second = tmp_path / "second-home"
    result = run_in(second, "db", "migrate")
    assert result.exit_code == 1
    assert "service account 'hms_service'" in result.output
    assert "belongs to another hms home: this one holds no password for it" in result.output
    assert TAKE_OVER in result.output and "Traceback" not in result.output
    assert not (second / PASSWORD_FILE).exists()
    still_works(run_in, service_home, service_login)


def test_a_second_home_with_another_password_is_refused_too(run_in, tmp_path, service_home, service_login,
                                                            owner_kept):
    result = run_in(tmp_path / "second-home", "db", "migrate", password="Another-Passw0rd-of-its-own!")
    assert result.exit_code == 1
    assert "refuses this home's password (from HMS_SERVICE_PASSWORD)" in result.output
    still_works(run_in, service_home, service_login)


def test_a_home_holding_the_owners_password_shares_the_account(run_in, tmp_path, service_home, service_login,
                                                               owner_kept):
    second = tmp_path / "second-home"
    second.mkdir()
    shutil.copy(service_home / PASSWORD_FILE, second / PASSWORD_FILE)
    result = run_in(second, "db", "migrate")
    assert result.exit_code == 0, result.output
    still_works(run_in, service_home, service_login)


def test_a_take_over_is_explicit_and_the_old_owner_is_told_the_real_cause(
        run_in, tmp_path, migrated, service_home, service_login, owner_kept):
    second = tmp_path / "second-home"
    result = run_in(second, "db", "migrate", TAKE_OVER)
    assert result.exit_code == 0, result.output
    assert (second / PASSWORD_FILE).stat().st_mode & 0o777 == 0o600
    assert run_in(second, "users", "list").exit_code == 0

    old = run_in(service_home, "users", "list")
    assert old.exit_code == 1
    assert "refused the password this hms home holds for it: another hms home" in old.output
    assert TAKE_OVER in old.output
    assert "--url" not in old.output and "HMS_DATABASE_URL" not in old.output

    console = create_app({"TESTING": True, "SECRET_KEY": "k" * 32, "HMS_SERVICE_LOGIN": service_login,
                          "HMS_DATABASE": migrated.database})
    page = log_in(browser(console), "someone", "whatever-it-is")
    assert page.status_code == 503
    assert "another hms home on this server took the account over" in page.get_data(as_text=True)

    back = run_in(service_home, "db", "migrate", TAKE_OVER)  # the documented way back
    assert back.exit_code == 0, back.output
    still_works(run_in, service_home, service_login)
    assert run_in(second, "users", "list").exit_code == 1
