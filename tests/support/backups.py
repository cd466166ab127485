"""Helpers of the backup tests: the CLI against one database, and the console's DB Tools jobs."""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from hms.connection import ConnectionInfo


def run_cli(info: ConnectionInfo, backup_dir: Path, *args: str):
    env = {"HMS_DATABASE_URL": info.url(hide_password=False), "HMS_BACKUP_DIR": str(backup_dir)}
    return CliRunner().invoke(cli, ["--quiet", *args], env=env, catch_exceptions=False)


def finished_job(app, timeout: float = 120):
    """Wait for the running DB Tools job to end; return the newest job."""
    jobs = app.extensions["hms_backup_jobs"]
    deadline = time.monotonic() + timeout
    while jobs.running() is not None:
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)
    return jobs.recent()[0]


def back_up(app, auth) -> str:
    response = auth.post("/db-tools/backup", {}, "/db-tools/")
    assert response.status_code == 302
    job = finished_job(app)
    assert job.state == "success", job.message
    return job.target
