"""In a real browser: the audit page's button verifies the hash chain and names a broken entry."""

from __future__ import annotations

import pytest

from hms.migrations import SQL_ROOT
from tests.security.test_audit_chain import run_file
from tests.support import query
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser
CONSOLE = "hms_test_console"


def test_the_verify_button_reports_an_intact_chain_then_the_edited_entry(live_console, console_admin, db):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            log_in(page, live_console, *console_admin)
            page.goto(f"{live_console}/audit/")
            page.click("#verify-chain")
            page.wait_for_selector(".flash")
            assert "The audit log is intact" in page.inner_text(".flash")

            # A DBA drops the guard trigger and edits an entry: the button names that entry.
            target, detail = query(db, f"SELECT audit_id, detail FROM {CONSOLE}.audit_log "
                                       "ORDER BY audit_id DESC LIMIT 1")[0]
            query(db, f"DROP TRIGGER {CONSOLE}.trg_audit_log_no_update")
            try:
                query(db, f"UPDATE {CONSOLE}.audit_log SET detail = 'edited' WHERE audit_id = %s", (target,))
                page.click("#verify-chain")
                page.wait_for_selector(".flash-error")
                assert f"broken at entry {target}: entry {target} was changed" in page.inner_text(".flash-error")
            finally:
                query(db, f"UPDATE {CONSOLE}.audit_log SET detail = %s WHERE audit_id = %s", (detail, target))
                run_file(db, SQL_ROOT / "console" / "triggers" / "trg_audit_log_no_update.sql", CONSOLE)
                query(db, "USE hms_test")
        finally:
            browser.close()
    assert query(db, f"SELECT outcome FROM {CONSOLE}.audit_log WHERE action = 'audit-verify' AND actor = %s "
                     "ORDER BY audit_id", (console_admin[0],)) == [("success",), ("failure",)]
