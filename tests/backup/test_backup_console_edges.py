"""DB Tools' rough edges: a restore into a database in use refused in the form at once, a
backup's progress as a percentage with an estimate, "last verified" from the audit log (it
survives a console restart), and the row counts explained (bookkeeping tables apart)."""

from __future__ import annotations

import re
import threading

from console import create_app
from tests.support.backups import back_up, finished_job
from tests.support.console_client import Auth, audit_rows, token


def test_restore_into_a_database_in_use_is_refused_in_the_form_at_once(app, auth, migrated, db):
    name = back_up(app, auth)
    form = f"/db-tools/restore?name={name}"
    response = auth.client.post("/db-tools/restore", data={"name": name, "into": migrated.database,
                                                            "confirm": migrated.database,
                                                            "csrf_token": token(auth.client, form)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"a database called &#39;{migrated.database}&#39; already exists" in page and "--replace" not in page
    assert 'class="field-error"' in page and "choose a new name" in page  # next to the field, too
    jobs = app.extensions["hms_backup_jobs"]
    assert jobs.running() is None and [j.kind for j in jobs.recent()] == ["create"]  # no restore job started
    assert ("backup restore", migrated.database, "refused") in [row[:3] for row in audit_rows(db, auth.name)]


def test_a_backup_in_progress_shows_a_percentage_and_the_time_left(app, auth):
    from console.jobs import Job

    auth.client.get("/db-tools/")
    jobs = app.extensions["hms_backup_jobs"]
    release = threading.Event()
    job = Job("create", "hms_test", auth.name, "test", total=400 << 20, estimated=True)
    job.phase_started -= 10  # ten seconds in, a quarter done
    assert jobs.start(job, lambda j: (j.advance(100 << 20), release.wait(10), "done")[-1])
    try:
        page = auth.client.get("/db-tools/").get_data(as_text=True)
        assert 'value="25"' in page and "about 25%" in page
        assert "100.0 MiB of about" in page and "400.0 MiB" in page
        left = int(re.search(r"about (\d+) s left", page).group(1))
        assert 30 <= left <= 45  # 10 s for the first quarter: 30 s more, plus the time this test took
        assert 'disabled aria-disabled="true"' in page and "A job is running" in page
    finally:
        release.set()
        finished_job(app)


def test_an_estimate_never_shows_done_before_the_job_is():
    from console.jobs import Job

    job = Job("create", "x", "a", "s", total=100, estimated=True)
    job.advance(150)  # the dump outgrew the tables' size
    assert job.percent == 99 and job.seconds_left is None


def test_last_verified_comes_from_the_audit_log_and_survives_a_restart(app, auth, console_admin, service_login,
                                                                      migrated, tmp_path):
    name = back_up(app, auth)
    page = auth.client.get("/db-tools/").get_data(as_text=True)
    assert "never" in page.split(f'data-backup="{name}"')[1].split("</tr>")[0]
    response = auth.post("/db-tools/verify", {"name": name}, "/db-tools/")
    assert response.status_code == 302
    assert finished_job(app).state == "success"

    restarted = create_app({"TESTING": True, "SECRET_KEY": "another", "HMS_SERVICE_LOGIN": service_login,
                            "HMS_DATABASE": migrated.database, "HMS_BACKUP_DIR": tmp_path,
                            "HMS_BACKUP_LOGIN": migrated})
    with restarted.test_client() as client:
        client.environ_base["REMOTE_ADDR"] = "10.9.8.7"
        fresh = Auth(client, console_admin)
        fresh.login()
        page = client.get("/db-tools/").get_data(as_text=True)
    row = page.split(f'data-backup="{name}"')[1].split("</tr>")[0]
    assert 'class="verified' in row and "identical" in row and "never" not in row
    assert restarted.extensions.get("hms_backup_jobs") is None or not restarted.extensions["hms_backup_jobs"].recent()


def test_the_backup_list_explains_its_row_count(app, auth, db):
    name = back_up(app, auth)
    page = auth.client.get("/db-tools/").get_data(as_text=True)
    row = page.split(f'data-backup="{name}"')[1].split("</tr>")[0]
    bookkeeping = sum(_counts(db, "hms\\_%"))
    hospital = sum(_counts(db, "%")) - bookkeeping
    assert f"{hospital:,}" in row and f"+ {bookkeeping:,} bookkeeping" in row
    assert "hms_seed_chunk" in page  # the note names the bookkeeping tables


def _counts(db, pattern: str) -> list[int]:
    with db.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                    "AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME LIKE %s", (pattern,))
        tables = [row[0] for row in cur.fetchall()]
        counts = []
        for table in tables:
            cur.execute(f"SELECT COUNT(*) FROM `{table}`")
            counts.append(cur.fetchone()[0])
    return counts


def test_a_point_in_time_refusal_is_shown_next_to_its_field(app, auth, migrated):
    name = back_up(app, auth)
    form = "/db-tools/restore-until"
    response = auth.post(form, {"name": name, "into": migrated.database, "confirm": migrated.database,
                                "until": "", "until_gtid": "0-1-1"}, form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    into = page.split('name="into"')[1].split("</label>")[0]
    assert 'class="field-error"' in into and "already exists" in into
