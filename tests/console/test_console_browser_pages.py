"""The issue-18 pages in a real browser (Playwright driving Debian's Chromium) at 1280 and 390 px:
the dashboard's charts, server health with a statement ended from the page, the privilege
matrix, roles, and the accounts list filtered and sorted. No page is wider than the window,
the CSP blocks nothing, and each page is saved as a screenshot under $HMS_TEST_ARTIFACTS
(default tests/artifacts/, not in git) for a reviewer."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from hms.dashboard import REBUILD
from hms.roles import ROLES
from tests.support import query
from tests.support.sessions import sleeping
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser
WIDTHS = {"wide": (1280, 900), "phone": (390, 844)}


def artifacts() -> Path:
    path = Path(os.environ.get("HMS_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def recent_visits(db, clinic):
    """A few visits and bills in the last weeks, so the charts have something to draw; removed afterwards."""
    department = clinic.department()
    doctor, patient = clinic.doctor(department), clinic.patient()
    monday = date.today() - timedelta(days=date.today().weekday())
    made = []
    for week in range(1, 7):
        for k in range(week % 3 + 1):
            starts = datetime.combine(monday - timedelta(weeks=week), datetime.min.time()) + timedelta(hours=9 + k)
            made.append(clinic.appointment(doctor, patient, starts, status="No-show" if k == 2 else "Completed"))
    with db.cursor() as cur:
        for appointment in made:
            cur.execute("INSERT INTO billing (patient_id, appointment_id, total_amount, bill_date, due_date) "
                        "VALUES (%s, %s, 180.00, CURRENT_DATE, CURRENT_DATE + INTERVAL 30 DAY)", (patient, appointment))
        for statement in REBUILD:   # the scheduled refresh, now rather than in ten minutes
            cur.execute(statement)
    db.commit()
    yield made
    query(db, "DELETE FROM billing WHERE patient_id = %s", (patient,))
    query(db, "DELETE FROM appointment WHERE patient_id = %s", (patient,))


def _check_page(page, url: str, name: str, width_name: str, blocked: list) -> None:
    page.goto(url)
    assert page.locator("h1").count() == 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{name} at {width_name} is {overflow} px wider than the window"
    page.screenshot(path=str(artifacts() / f"{name}-{width_name}.png"), full_page=True)
    assert not blocked, f"{name}: the browser blocked {blocked}"


def test_new_pages_at_1280_and_390_px(live_console, console_admin, recent_visits, account, migrated):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    analyst, other = account("hms_analyst"), account("hms_analyst")
    account("hms_developer")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width_name, (width, height) in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                blocked: list[str] = []
                page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text
                        else None)
                log_in(page, live_console, *console_admin)

                _check_page(page, f"{live_console}/", "dashboard", width_name, blocked)
                assert page.locator("#hospital svg.chart").count() >= 5
                assert page.locator("#hospital svg.chart rect.chart-bar").count() >= 10
                box = page.locator("#hospital svg.chart").first.bounding_box()
                assert 250 <= box["width"] <= width - 40  # readable: about its viewBox width, never wider than the window
                assert "%" in page.locator("#card-no-show .card-number").inner_text()

                _check_page(page, f"{live_console}/privileges", "privileges", width_name, blocked)
                matrix = page.locator("#privilege-matrix")
                assert matrix.locator("th.role-col").count() == len(ROLES)
                objects = matrix.locator("tr.matrix-object code").all_inner_texts()
                assert objects[0] == "*.*" and len(objects) > 3
                _check_page(page, f"{live_console}/roles", "roles", width_name, blocked)
                assert page.locator("#role-table tbody tr").count() == len(ROLES)

                _check_page(page, f"{live_console}/accounts/?role=analyst&sort=name&order=desc", "accounts",
                            width_name, blocked)
                roles = page.locator("#account-list tbody tr td:nth-child(3)").all_inner_texts()
                assert len(roles) >= 2 and set(roles) == {"analyst"}
                names = page.locator("#account-list tbody tr td:nth-child(1)").all_inner_texts()
                assert {analyst.user, other.user} <= set(names)
                assert names == sorted(names, key=str.lower, reverse=True)

                with sleeping(analyst, migrated) as (session_id, outcome, thread):
                    _check_page(page, f"{live_console}/health/?threshold=0", "health", width_name, blocked)
                    row = page.locator(f"#session-{session_id}")
                    assert analyst.user in row.inner_text() and "SELECT SLEEP" in row.inner_text()
                    row.locator("select[name=mode]").select_option("connection")
                    row.locator("input[name=confirm]").check()
                    row.locator("button:has-text('End')").click()
                    assert f"KILL CONNECTION {session_id}: done" in page.locator(".flash").first.inner_text()
                    thread.join(timeout=10)
                    assert not thread.is_alive() and "error" in outcome
                page.close()
        finally:
            browser.close()
