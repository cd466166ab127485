"""The console in a real browser (Playwright driving Debian's Chromium): log in, add an
account with a role, see it on the dashboard, delete it."""

from __future__ import annotations

import pytest

from tests.support import query
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser


def test_admin_adds_an_account_sees_it_on_the_dashboard_and_deletes_it(live_console, console_admin, new_name, db):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    admin_name, admin_password = console_admin
    account = new_name("t_web")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_console}/")
            assert "/login" in page.url
            page.fill("input[name=username]", admin_name)
            page.fill("input[name=password]", admin_password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_console}/")
            assert page.locator("h1").inner_text() == "Dashboard"

            page.click("text=Add account")
            page.fill("input[name=name]", account)
            page.select_option("select[name=role]", "analyst")
            page.click("button:has-text('Create account')")
            assert page.locator("#generated-password").inner_text().strip()
            assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (account,))[0][0] == 1

            page.click("text=Dashboard")
            row = page.locator("tr", has_text=f"{account}@%")
            assert row.count() == 1 and "analyst" in row.inner_text()
            assert int(page.locator("#card-accounts .card-number").inner_text()) >= 1

            row.locator("a").click()
            page.click("text=Delete…")
            page.check("input[name=confirm]")
            page.click("button:has-text('Drop account')")
            page.wait_for_url(f"{live_console}/accounts/")
            assert f"Dropped '{account}'@'%'" in page.locator(".flash").inner_text()
            assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (account,))[0][0] == 0
            page.goto(f"{live_console}/")
            assert page.locator("tr", has_text=f"{account}@%").count() == 0
        finally:
            browser.close()
