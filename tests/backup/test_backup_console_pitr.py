"""The console's point-in-time restore form (issue 12, part 8) against the real server: back up,
add rows A, note the moment T, then delete A and add rows B "by mistake"; the form restores the
backup into a new database as it was at T (or up to a GTID) in a background job, audited. Bad
input (names that differ, a database that exists, no moment or two, a moment before the backup,
a malformed GTID) is refused in the form at once, before any job starts."""

from __future__ import annotations

import secrets

import pytest

from hms.connection import connect
from tests.support import query
from tests.support.backups import back_up, finished_job
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, log_in
from tests.support.console_client import audit_rows
from tests.support.databases import database_exists
from tests.support.physical import add_patients, patients_named
from tests.support.pitr import execute, gtid_position, next_second

FORM = "/db-tools/restore-until"
ACTION = "backup point-in-time restore"


def until(name: str, into: str, confirm: str | None = None, moment: str = "", gtid: str = "") -> dict:
    return {"name": name, "into": into, "confirm": into if confirm is None else confirm,
            "until": moment, "until_gtid": gtid}


def local(moment: str) -> str:
    """A server moment as the browser's datetime-local input sends it."""
    return moment.replace(" ", "T")


def test_the_form_says_the_server_time_zone_and_offers_the_backup(app, auth, server_info):
    name = back_up(app, auth)
    page = auth.client.get(f"{FORM}?name={name}").get_data(as_text=True)
    assert f'<option selected value="{name}">' in page
    assert 'type="datetime-local"' in page
    assert "database server's time zone" in page
    conn = connect(server_info, database=None)
    try:
        system, zone = query(conn, "SELECT @@system_time_zone, @@time_zone")[0]
    finally:
        conn.close()
    assert f"<strong>{system if zone == 'SYSTEM' else zone}</strong>" in page


def test_point_in_time_restore_to_a_moment_has_rows_a_and_not_the_mistake(app, auth, db, migrated, server_info,
                                                                          target, mistake_after_backup):
    name, (tag_a, tag_b, moment, _) = mistake_after_backup
    assert patients_named(migrated, migrated.database, tag_a) == 0  # the live database has the mistake
    response = auth.post(FORM, until(name, target, moment=local(moment)), FORM)
    assert response.status_code == 302
    job = finished_job(app)
    assert job.state == "success", job.message
    assert job.kind == "point-in-time restore" and f"into new database {target} as of {moment}" in job.message
    # progress counted the restore's bytes, then the transactions rolled forward out of the plan's
    assert job.phase.startswith("rolling forward") and job.total and 3 <= job.done <= job.total
    assert patients_named(server_info, target, tag_a) == 3
    assert patients_named(server_info, target, tag_b) == 0
    assert patients_named(migrated, migrated.database, tag_b) == 2  # the live database is untouched
    assert (ACTION, f"{name} -> {target}", "success") in [row[:3] for row in audit_rows(db, auth.name)]
    page = auth.client.get("/db-tools/").get_data(as_text=True)
    assert "point-in-time restore" in page and "rolled forward" in page


def test_point_in_time_restore_up_to_a_gtid(app, auth, migrated, server_info, target, mistake_after_backup):
    name, (tag_a, tag_b, _, after_a) = mistake_after_backup
    gtid = after_a.split(",")[0]
    response = auth.post(FORM, until(name, target, gtid=gtid), FORM)
    assert response.status_code == 302
    job = finished_job(app)
    assert job.state == "success", job.message
    assert f"up to transaction {gtid}" in job.message
    assert patients_named(server_info, target, tag_a) == 3
    assert patients_named(server_info, target, tag_b) == 0


@pytest.fixture
def mistake_after_backup(app, auth, migrated):
    """A backup made through the console, then the `mistake` story; yields (backup name, story)."""
    name = back_up(app, auth)
    tag_a, tag_b = f"pitr-a-{secrets.token_hex(3)}", f"pitr-b-{secrets.token_hex(3)}"
    add_patients(migrated, tag_a, count=3)
    after_a = gtid_position(migrated)
    moment = next_second(migrated)
    execute(migrated, f"DELETE FROM patient WHERE first_name = '{tag_a}'")
    add_patients(migrated, tag_b, count=2)
    try:
        yield name, (tag_a, tag_b, moment, after_a)
    finally:
        execute(migrated, f"DELETE FROM patient WHERE first_name IN ('{tag_a}', '{tag_b}')")


@pytest.mark.parametrize("case, words", [
    ("names differ", "the two database names differ"),
    ("bad name", "is not a valid database name"),
    ("exists", "already exists"),
    ("no moment", "give either a moment or a GTID"),
    ("both", "give either a moment or a GTID"),
    ("not a moment", "is not a date and time"),
    ("before the backup", "is before"),
    ("bad gtid", "is not a GTID"),
])
def test_bad_input_is_refused_in_the_form_and_no_job_starts(app, auth, db, migrated, target, case, words):
    name = back_up(app, auth)
    jobs_before = len(app.extensions["hms_backup_jobs"].recent())
    data = {
        "names differ": until(name, target, confirm=target + "x", moment="2030-01-01T10:00"),
        "bad name": until(name, "bad-name", moment="2030-01-01T10:00"),
        "exists": until(name, migrated.database, moment="2030-01-01T10:00"),
        "no moment": until(name, target),
        "both": until(name, target, moment="2030-01-01T10:00", gtid="0-1-5"),
        "not a moment": until(name, target, moment="yesterday"),
        "before the backup": until(name, target, moment="2001-01-01T10:00"),
        "bad gtid": until(name, target, gtid="0-1"),
    }[case]
    response = auth.post(FORM, data, FORM)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was restored" in page and words in page
    assert len(app.extensions["hms_backup_jobs"].recent()) == jobs_before  # refused at once, not in a job
    assert not database_exists(migrated, target)
    assert [row[2] for row in audit_rows(db, auth.name) if row[0] == ACTION] == ["refused"]


def test_a_backup_not_in_the_list_is_refused(app, auth, db, target):
    back_up(app, auth)
    response = auth.post(FORM, until("../../etc/passwd", target, moment="2030-01-01T10:00"), FORM)
    assert response.status_code == 404
    assert [row[2] for row in audit_rows(db, auth.name) if row[0] == ACTION] == ["refused"]


def test_the_form_without_a_csrf_token_is_refused(app, auth, target):
    name = back_up(app, auth)
    response = auth.client.post(FORM, data=until(name, target, moment="2030-01-01T10:00"))
    assert response.status_code == 400
    assert len(app.extensions["hms_backup_jobs"].recent()) == 1  # only the backup


@pytest.mark.browser
def test_admin_restores_to_a_moment_in_the_browser(live_console, console_admin, migrated, server_info, target):
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    into = target
    tag_a, tag_b = f"pitr-a-{secrets.token_hex(3)}", f"pitr-b-{secrets.token_hex(3)}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                log_in(page, live_console, *console_admin)
                page.click("text=DB Tools")
                page.click(f"button:has-text('Back up {migrated.database} now')")
                expect(page.locator("tr.job-success", has_text="create")).to_be_visible(timeout=60_000)
                backup_name = page.locator("table.backups tr[data-backup]").first.get_attribute("data-backup")

                add_patients(migrated, tag_a, count=3)
                moment = next_second(migrated)
                execute(migrated, f"DELETE FROM patient WHERE first_name = '{tag_a}'")
                add_patients(migrated, tag_b, count=2)

                page.click("text=Restore to a point in time…")
                expect(page.locator("p.clock")).to_contain_text("time zone")
                page.select_option("select[name=name]", backup_name)
                page.fill("input[name=into]", into)
                page.fill("input[name=confirm]", into)
                page.fill("input[name=until]", local(moment))
                page.click("button:has-text('Restore into the new database')")
                done = page.locator("tr.job-success", has_text="point-in-time restore")
                expect(done).to_be_visible(timeout=120_000)
                expect(done).to_contain_text(f"restored {backup_name} into new database {into} as of {moment}")
            finally:
                browser.close()
        assert patients_named(server_info, into, tag_a) == 3
        assert patients_named(server_info, into, tag_b) == 0
    finally:
        execute(migrated, f"DELETE FROM patient WHERE first_name IN ('{tag_a}', '{tag_b}')")
