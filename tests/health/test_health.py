"""`hms server health` and the console's server-health page: the figures, a long statement that
shows up with who runs it, ended from the console (audited), and the sessions it may not end."""

from __future__ import annotations

import json

import pytest

from hms.errors import DatabaseError
from hms.health import kill_session, read_health
from tests.support import query
from tests.support.console_client import audit_rows, token

from tests.support.sessions import sleeping


def test_health_json_reports_the_figures_and_warns_without_a_verified_backup(run):
    result = run("server", "health", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 1  # a warning holds: no verified backup in the empty folder
    assert any("no verified backup" in warning for warning in data["warnings"])
    assert data["newest_verified_backup"] is None
    assert data["uptime_seconds"] > 0 and data["version"]
    assert 1 <= data["connections"] <= data["max_connections"]
    assert data["binlog_enabled"] is True and data["binlog_files"] >= 1 and data["binlog_bytes"] > 0
    assert data["binlog_retention_seconds"] == 7 * 86400
    assert {disk["label"] for disk in data["disks"]} == {"data directory", "backup folder"}
    assert all(disk["free_bytes"] > 0 for disk in data["disks"])
    assert 0 <= data["buffer_pool_hit_rate"] <= 1


def test_health_text_lists_a_long_statement_with_who_runs_it(run, account, migrated):
    analyst = account("hms_analyst")
    with sleeping(analyst, migrated) as (session_id, _, _):
        result = run("server", "health", "--threshold", "0")
        line = next(line for line in result.output.splitlines() if line.strip().startswith(str(session_id)))
        assert f"{analyst.user}@" in line and "SELECT SLEEP" in line
        assert "statement(s) running longer than 0 s" in result.output
    assert result.exit_code == 1


def test_a_healthy_server_exits_0_with_a_fresh_verified_backup(migrated, tmp_path):
    from hms.backup import create_backup

    key = tmp_path / "backup.key"
    create_backup(migrated, tmp_path / "backups", key_file=key)
    state = read_health(migrated, tmp_path / "backups", key_file=key, long_seconds=3600)
    assert state.newest_verified_backup is not None and state.newest_verified_backup["age_hours"] < 1
    assert not any("backup" in warning for warning in state.warnings)


@pytest.fixture
def health_app(service_login, migrated):
    import secrets

    from console import create_app

    return create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
                       "HMS_DATABASE": migrated.database, "HMS_ADMIN_LOGIN": migrated})


def test_console_ends_a_long_statement_and_audits_it(health_app, console_admin, account, migrated, db):
    from tests.support.console_client import Auth

    analyst = account("hms_analyst")
    with health_app.test_client() as client, sleeping(analyst, migrated) as (session_id, outcome, thread):
        auth = Auth(client, console_admin)
        auth.login()
        page = client.get("/health/?threshold=0").get_data(as_text=True)
        assert f'id="session-{session_id}"' in page and "SELECT SLEEP" in page
        refused = client.post("/health/kill", data={"id": session_id, "mode": "query",
                                                    "csrf_token": token(client, "/health/?threshold=0")})
        assert refused.status_code == 303 and thread.is_alive()  # not confirmed: nothing ended
        done = client.post("/health/kill", data={"id": session_id, "mode": "query", "confirm": "yes",
                                                 "csrf_token": token(client, "/health/")},
                           follow_redirects=True)
        assert f"KILL QUERY {session_id}: done" in done.get_data(as_text=True)
        thread.join(timeout=10)
        assert not thread.is_alive()
        # SLEEP() interrupted by KILL QUERY returns 1 (MariaDB) or fails with "Query execution was interrupted".
        assert outcome.get("rows") == ((1,),) or "interrupted" in str(outcome.get("error", ""))
    rows = [row for row in audit_rows(db, console_admin[0]) if row[0] == "session.kill"]
    # Whose session it was, as the server knew it (user@client host), not as the form said.
    assert rows[-1][0] == "session.kill" and rows[-1][2] == "success"
    assert rows[-1][1].startswith(f"session {session_id} ({analyst.user}@")


def test_session_kill_refuses_root_and_hms_sessions(service_login, migrated):
    from hms.connection import connect

    root = connect(migrated, database=None)
    service = connect(service_login, database=None)
    try:
        with pytest.raises(DatabaseError, match="root, an hms_\\* account or the server itself"):
            kill_session(service, migrated.database, root.thread_id(), query_only=False)
        other = connect(service_login, database=None)  # an hms_service session, not the caller's own
        try:
            with pytest.raises(DatabaseError, match="hms_"):
                kill_session(service, migrated.database, other.thread_id(), query_only=False)
        finally:
            other.close()
        assert query(root, "SELECT 1") == [(1,)]  # still alive
    finally:
        service.close()
        root.close()
