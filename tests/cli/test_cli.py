"""The `hms` command line: help with examples, one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import cli
from hms.connection import connect
from tests.support import query


def commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from commands(command, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in commands(cli)], ids=lambda p: " ".join(p))
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output, f"hms {' '.join(path)} --help lacks an Example: block"


def test_migrate_status_verify_round_trip(run, fresh_database):
    name = fresh_database.database
    dry = run("db", "migrate", "--dry-run", database=name)
    assert dry.exit_code == 0 and "would apply sql/schema/V001__department.sql (new)" in dry.output
    first = run("db", "migrate", database=name)
    assert first.exit_code == 0 and "applied" in first.output
    second = run("db", "migrate", database=name)
    assert second.exit_code == 0 and second.output.strip() == f"'{name}' is up to date"
    status = run("db", "status", "--json", database=name)
    rows = json.loads(status.output)
    assert rows and {r["state"] for r in rows} == {"applied"}
    assert set(rows[0]) >= {"file", "kind", "state", "checksum"}
    verified = run("db", "verify", database=name)
    assert verified.exit_code == 0 and "matches sql/" in verified.output


def test_status_of_a_database_that_does_not_exist_says_so(run):
    result = run("db", "status", database="hms_no_such_database_typo")
    assert result.exit_code == 1
    assert "the database 'hms_no_such_database_typo' does not exist" in result.output
    assert "pending" not in result.output


def test_verify_exits_1_listing_differences(run, fresh_database):
    name = fresh_database.database
    run("db", "migrate", database=name)
    conn = connect(fresh_database)
    with conn.cursor() as cur:
        cur.execute("DROP TRIGGER trg_patient_dob_update")
    conn.close()
    result = run("db", "verify", database=name)
    assert result.exit_code == 1
    assert "trigger trg_patient_dob_update: in sql/, missing from the database" in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: ")


def hms(*args, env=None) -> subprocess.CompletedProcess:
    """Run the installed console script for real."""
    exe = Path(sys.executable).with_name("hms")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    full_env.update(env or {})
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=full_env, timeout=60)


@pytest.mark.parametrize("url, expected", [
    ("mysql+pymysql://nobody:wrong@127.0.0.1:1/hms", "Error: cannot reach the server at 127.0.0.1:1."),
    ("postgresql://u:p@localhost/hms", "Error: the database URL is for 'postgresql', not MySQL or MariaDB."),
    ("not a url", "Error: the database URL is malformed."),
])
def test_bad_urls_give_one_line_errors(url, expected):
    result = hms("--url", url, "db", "status")
    assert result.returncode == 1
    assert result.stderr.strip().startswith(expected)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_refused_login_names_the_fix(server_info):
    info = server_info.with_login(server_info.user, "definitely-wrong")
    result = hms("--url", info.url(hide_password=False), "db", "status")
    assert result.returncode == 1
    assert "refused the login" in result.stderr and "Check the user name and password" in result.stderr
    assert "definitely-wrong" not in result.stderr


def test_missing_privileges_are_one_line(server_info, account):
    login = account("hms_analyst")
    result = hms("--url", login.url(hide_password=False), "--database", "hms_cli_denied", "db", "migrate")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: ")


def test_bad_database_name_is_refused():
    result = hms("--database", "x; DROP DATABASE mysql", "db", "status")
    assert result.returncode == 1
    assert result.stderr.strip() == ("Error: 'x; DROP DATABASE mysql' is not a valid database name. Use 1-64 "
                                     "letters, digits or underscores, starting with a letter or underscore.")


def test_unknown_option_is_a_usage_error():
    result = hms("db", "migrate", "--bogus")
    assert result.returncode == 2 and "No such option" in result.stderr


def test_malformed_sql_file_is_one_line(run, fresh_database, tmp_path, monkeypatch):
    import shutil

    from hms.migrations import files as sqlfiles

    root = tmp_path / "sql"
    shutil.copytree(sqlfiles.SQL_ROOT, root)
    (root / "routines" / "broken.sql").write_text("DELIMITER $$\nCREATE PROCEDURE broken() BEGIN SELECT 1; END\n")
    monkeypatch.setattr(sqlfiles, "SQL_ROOT", root)
    result = run("db", "migrate", database=fresh_database.database)
    assert result.exit_code == 1
    assert "sql/routines/broken.sql: the statement starting on line 2 never reaches its delimiter '$$'" in result.output
    conn = connect(fresh_database)
    try:
        assert query(conn, "SELECT COUNT(*) FROM hms_schema_history WHERE success = 1") == [(0,)]
    finally:
        conn.close()
