"""In a real browser: the add-account form starts with no role, and logout really ends the session."""

from __future__ import annotations

import pytest

from tests.support import query
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser


def test_add_account_starts_with_no_role_and_a_copied_session_dies_at_logout(
        live_console, console_admin, new_name, db):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    account = new_name("t_web")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            log_in(page, live_console, *console_admin)
            page.goto(f"{live_console}/accounts/new")
            assert page.locator("select[name=role]").input_value() == ""
            page.fill("input[name=name]", account)
            page.click("button:has-text('Create account')")
            # The browser's own `required` check or the server's message: either way, no account.
            assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (account,))[0][0] == 0

            # A second browser holding a copy of the session cookie loses it when the admin logs out.
            thief = browser.new_context(user_agent=page.evaluate("navigator.userAgent"))
            thief.add_cookies(context.cookies())
            stolen = thief.new_page()
            stolen.goto(f"{live_console}/")
            assert stolen.url == f"{live_console}/"
            page.goto(f"{live_console}/")
            page.click("button:has-text('Log out')")
            page.wait_for_url(f"{live_console}/login")
            stolen.goto(f"{live_console}/")
            assert "/login" in stolen.url
        finally:
            browser.close()
