"""Fixtures of the account tests: the library as the service account uses it, and the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli


@pytest.fixture
def hms(migrated, service_login, service_home):
    """Run `hms ...` against the test database as the CLI would; returns the click Result."""
    env = {"HMS_DATABASE_URL": migrated.url(hide_password=False), "HMS_DATABASE": migrated.database,
           "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": ""}

    def run(*args: str, stdin: str | None = None):
        return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)
    return run
