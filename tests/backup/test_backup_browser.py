"""DB Tools in a real browser (Playwright driving Debian's Chromium): back up, see the
backup in the list, restore it into a new database."""

from __future__ import annotations

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.databases import database_exists, describe

pytestmark = pytest.mark.browser


def test_admin_backs_up_sees_it_listed_and_restores_into_a_new_database(live_console, console_admin,
                                                                       migrated, server_info, target):
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    admin_name, admin_password = console_admin
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_console}/login")
            page.fill("input[name=username]", admin_name)
            page.fill("input[name=password]", admin_password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_console}/")

            page.click("text=DB Tools")
            page.click(f"button:has-text('Back up {migrated.database} now')")
            # The page refreshes itself while the job runs; the finished backup shows in the list.
            row = page.locator("table.backups tr[data-backup]").first
            expect(row).to_be_visible(timeout=60_000)
            expect(row).to_contain_text("matches")
            expect(page.locator("tr.job-success")).to_contain_text("create", timeout=60_000)
            backup_name = row.get_attribute("data-backup")
            assert backup_name.startswith(f"{migrated.database}_") and backup_name.endswith(".sql.gz")

            row.locator("text=Restore…").click()
            page.fill("input[name=into]", target)
            page.fill("input[name=confirm]", target)
            page.click("button:has-text('Restore into the new database')")
            expect(page.locator("tr.job-success", has_text="restore")).to_be_visible(timeout=60_000)
            expect(page.locator("tr.job-success", has_text="restore")).to_contain_text(
                f"restored {backup_name} into new database {target}")
        finally:
            browser.close()
    assert database_exists(server_info, target)
    assert describe(server_info, target)["tables"] == describe(server_info, migrated.database)["tables"]
