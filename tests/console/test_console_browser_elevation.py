"""In a real browser: granting dba, and locking a dba account, ask for the admin's own console
password in the same form; without it, or with a wrong one, nothing changes."""

from __future__ import annotations

import pytest

from tests.support import query
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser


def _add(page, url, name, role, reentry):
    page.goto(f"{url}/accounts/new")
    page.fill("input[name=name]", name)
    page.select_option("select[name=role]", role)
    page.fill("input[name=reentry]", reentry)
    page.click("button:has-text('Create account')")
    page.wait_for_load_state()
    return page.content()


def _users(db, name) -> int:
    return query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0]


def test_granting_dba_and_locking_a_dba_ask_for_the_admins_password(live_console, enrolled_admin, new_name,
                                                                    service, db):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    admin, password = enrolled_admin
    name = new_name("t_webdba")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            log_in(page, live_console, admin, password)

            assert "need your console password re-entered" in _add(page, live_console, name, "dba", "")
            assert _users(db, name) == 0
            assert "you re-entered is wrong" in _add(page, live_console, name, "dba", "Not-" + password)
            assert _users(db, name) == 0
            created = _add(page, live_console, name, "dba", password)
            assert "shown this once" in created and password not in created
            assert service.list(name)[0].roles == ["dba"]

            # The dba account's Lock button asks for the password too.
            page.goto(f"{live_console}/accounts/{name}/%25")
            page.click("button:has-text('Lock')")
            page.wait_for_load_state()
            assert "Nothing was changed" in page.content() and not service.list(name)[0].locked
            page.fill("#access-reentry", password)
            page.click("button:has-text('Lock')")
            page.wait_for_load_state()
            assert "Account locked" in page.content() and service.list(name)[0].locked
        finally:
            browser.close()
