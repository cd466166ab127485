"""Fixtures of the general command-line tests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli


@pytest.fixture
def run(server_info, service_home):
    """Invoke hms in-process against the test server; returns click's Result.

    HMS_HOME is the session's service home: `hms db migrate` (re)creates the server-wide
    service account from the password file there, so the session's `service_login` stays
    valid (and nothing is written to ./.hms).
    """
    def invoke(*args, database: str | None = None, url: str | None = None, input=None):
        env = {"HMS_DATABASE_URL": url or server_info.url(hide_password=False), "HMS_DATABASE": database or "",
               "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": ""}
        return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
    return invoke
