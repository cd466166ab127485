"""Fixtures of the server-health tests: the CLI in-process, and a statement that keeps running."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli


@pytest.fixture
def run(server_info, service_home, tmp_path):
    """Invoke hms in-process against the test server, with an empty backup folder."""
    def invoke(*args, database: str = "hms_test"):
        env = {"HMS_DATABASE_URL": server_info.url(hide_password=False), "HMS_DATABASE": database,
               "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": "", "HMS_BACKUP_DIR": str(tmp_path)}
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return invoke
