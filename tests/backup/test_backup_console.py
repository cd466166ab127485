"""The console's DB Tools page against the real server: back up in the background, list,
download, verify, restore into a new database with a typed confirmation; CSRF, path
traversal and bad names refused; every action in the audit log."""

from __future__ import annotations

import threading

import pytest

from hms.backup import list_backups
from tests.support import query
from tests.support.backups import back_up, finished_job
from tests.support.console_client import audit_rows
from tests.support.databases import database_exists, describe


def test_db_tools_needs_a_login(app):
    response = app.test_client().get("/db-tools/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_back_up_now_runs_in_the_background_and_lists_the_backup(app, auth, tmp_path, db):
    name = back_up(app, auth)
    assert [b.name for b in list_backups(tmp_path)] == [name]
    page = auth.client.get("/db-tools/").get_data(as_text=True)
    assert name in page and "matches" in page and "success" in page
    assert ("backup create", name, "success") in [row[:3] for row in audit_rows(db, auth.name)]


def test_a_running_job_shows_progress_and_refreshes(app, auth, tmp_path):
    from console.jobs import Job

    auth.client.get("/db-tools/")
    jobs = app.extensions["hms_backup_jobs"]
    release = threading.Event()
    job = Job("restore", "x -> y", auth.name, "test", total=200)
    assert jobs.start(job, lambda j: (j.advance(50), release.wait(10), "done")[-1])
    try:
        response = auth.client.get("/db-tools/")
        assert response.headers.get("Refresh") == "2"
        assert 'value="25"' in response.get_data(as_text=True)
        refused = auth.post("/db-tools/backup", {}, "/db-tools/")
        assert refused.status_code == 302
        assert "Another backup" in auth.client.get("/db-tools/").get_data(as_text=True)
    finally:
        release.set()
        finished_job(app)
    assert list_backups(tmp_path) == []


def test_backup_without_a_csrf_token_is_refused(app, auth, tmp_path):
    response = auth.client.post("/db-tools/backup", data={})
    assert response.status_code == 400
    assert app.extensions.get("hms_backup_jobs") is None or app.extensions["hms_backup_jobs"].recent() == []
    assert list(tmp_path.iterdir()) == []


def test_download_sends_the_listed_file(app, auth, tmp_path, db):
    name = back_up(app, auth)
    response = auth.client.get(f"/db-tools/download/{name}")
    try:
        assert response.status_code == 200 and response.data == (tmp_path / name).read_bytes()
        assert "attachment" in response.headers["Content-Disposition"]
    finally:
        response.close()
    assert ("backup download", name, "success") in [row[:3] for row in audit_rows(db, auth.name)]


@pytest.mark.parametrize("name", ["../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd",
                                  "..%252F..%252Fetc%252Fpasswd", "%2e%2e%2fhms.json", "hms_test.json"])
def test_download_refuses_anything_but_a_listed_name(app, auth, name):
    back_up(app, auth)
    response = auth.client.get(f"/db-tools/download/{name}")
    assert response.status_code == 404
    assert b"root:" not in response.data


@pytest.mark.parametrize("name", ["/etc/passwd", "../../etc/passwd", "..\\..\\etc\\passwd",
                                  "hms_test_20250101T000000.000Z.sql.gz/../../../etc/passwd",
                                  "hms_test_20250101T000000.000Z.sql.gz"])
def test_verify_and_restore_refuse_names_not_in_the_list(app, auth, db, target, name):
    back_up(app, auth)
    for path, data in (("/db-tools/verify", {"name": name}),
                       ("/db-tools/restore", {"name": name, "into": target, "confirm": target})):
        response = auth.post(path, data, "/db-tools/")
        assert response.status_code == 404
    assert not database_exists(auth_server(app), target)
    refused = [row for row in audit_rows(db, auth.name) if row[2] == "refused"]
    assert len(refused) == 2 and all(row[1] == name[:200] for row in refused)


def auth_server(app):
    return app.config["HMS_BACKUP_LOGIN"].with_database(None)


def test_restore_into_a_new_database_needs_the_typed_confirmation(app, auth, db, target, server_info):
    name = back_up(app, auth)
    page = f"/db-tools/restore?name={name}"
    assert auth.client.get(page).status_code == 200
    response = auth.post("/db-tools/restore", {"name": name, "into": target, "confirm": target + "x"}, page)
    assert response.status_code == 400 and not database_exists(server_info, target)
    response = auth.post("/db-tools/restore", {"name": name, "into": "bad-name", "confirm": "bad-name"}, page)
    assert response.status_code == 400 and "is not a valid database name" in response.get_data(as_text=True)

    response = auth.post("/db-tools/restore", {"name": name, "into": target, "confirm": target}, page)
    assert response.status_code == 302
    job = finished_job(app)
    assert job.state == "success", job.message
    manifest = list_backups(app.config["HMS_BACKUP_DIR"])[0].manifest
    assert describe(server_info, target)["tables"] == manifest.tables
    outcomes = [(row[0], row[2]) for row in audit_rows(db, auth.name) if row[0] == "backup restore"]
    assert outcomes == [("backup restore", "refused"), ("backup restore", "refused"), ("backup restore", "success")]


def test_restore_over_an_existing_database_is_refused_in_the_form_and_audited(app, auth, db, migrated):
    name = back_up(app, auth)
    before = query(db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                   (migrated.database,))
    response = auth.post("/db-tools/restore", {"name": name, "into": migrated.database,
                                               "confirm": migrated.database}, f"/db-tools/restore?name={name}")
    assert response.status_code == 400 and "already exists and is not empty" in response.get_data(as_text=True)
    assert [job.kind for job in app.extensions["hms_backup_jobs"].recent()] == ["create"]  # no restore job
    assert query(db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                 (migrated.database,)) == before
    assert ("backup restore", "refused") in [(row[0], row[2]) for row in audit_rows(db, auth.name)]


def test_verify_from_the_console(app, auth, db):
    name = back_up(app, auth)
    response = auth.post("/db-tools/verify", {"name": name}, "/db-tools/")
    assert response.status_code == 302
    job = finished_job(app)
    assert job.state == "success" and "identical" in job.message, (job.message, job.problems)
    assert ("backup verify", name, "success") in [row[:3] for row in audit_rows(db, auth.name)]
