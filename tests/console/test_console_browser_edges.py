"""The pages this issue touched, in Chromium at 1280 and 390 pixels: nothing wider than the
screen, file names and sizes on one line, the audit log's last column in view, the current
page highlighted, disabled buttons that look disabled, the copy button (no inline script under
the CSP), a restore into a database in use refused next to its field, and the database-down
page. Screenshots of each go to $HMS_TEST_ARTIFACTS/console-edges (tests/artifacts by default)."""

from __future__ import annotations

import dataclasses
import secrets
import socket

import pytest

from console import create_app
from hms import audit_log
from hms.connection import connect
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, artifacts_dir, log_in, served

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)


@pytest.fixture
def console_app(service_login, migrated, tmp_path):
    return create_app({"SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
                       "HMS_DATABASE": migrated.database, "HMS_BACKUP_DIR": tmp_path, "HMS_BACKUP_LOGIN": migrated})


def _fits(page, width: int, what: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} at {width} px is {scroll} px wide"


def _one_line(page, selector: str) -> None:
    """Each element's text sits on one line (its text's line boxes all share one top)."""
    tops = page.locator(selector).evaluate_all("""els => els.map(e => {
        const range = document.createRange(); range.selectNodeContents(e);
        return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size; })""")
    assert tops and all(n == 1 for n in tops), f"{selector} wraps: {tops} lines"


def _long_audit_entry(service_login, migrated, admin: str) -> None:
    """An entry with a long unbroken target and detail, as a restore's 'backup -> target' makes."""
    conn = connect(service_login, database=None)
    try:
        audit_log.record(conn, f"{migrated.database}_console", actor=admin, action="backup restore",
                         target="hms_test_20261202T012257.302Z.sql.gz->hms_bkdst_" + "a1b2c3d4" * 8,
                         outcome="refused", detail="database_" + "x" * 150 + " exists", source="127.0.0.1")
    finally:
        conn.close()


def test_pages_at_1280_and_390_pixels(console_app, console_admin, migrated, new_name, service_login):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    shots = artifacts_dir("console-edges")
    admin, password = console_admin
    _long_audit_entry(service_login, migrated, admin)
    account = new_name("t_edge")
    with served(console_app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
                page = context.new_page()
                log_in(page, url, admin, password)

                def visit(path: str, name: str, current: str | None, fits: bool = True) -> None:
                    page.goto(f"{url}{path}")
                    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
                    if current:
                        assert page.locator("nav a[aria-current=page]").all_inner_texts() == [current]
                    if fits:
                        _fits(page, width, name)

                if width == WIDTHS[0]:
                    # A backup to list; the button is disabled, and looks it, while the job runs.
                    page.goto(f"{url}/db-tools/")
                    page.click("#backup-now")
                    page.wait_for_selector("tr[data-backup]", timeout=120_000)
                    page.goto(f"{url}/accounts/new")
                    page.fill("input[name=name]", account)
                    page.select_option("select[name=role]", "analyst")
                    page.click("button:has-text('Create account')")
                    page.wait_for_selector("#generated-password")
                    assert "/accounts/shown/" in page.url  # post/redirect/get
                    page.click("button[data-copy]")
                    # A selector, not wait_for_function: its polling evaluates a string, which the CSP forbids.
                    page.wait_for_selector("button[data-copy]:text-is('Copied')")
                    copied = page.evaluate("navigator.clipboard.readText()")
                    assert copied == page.locator("#generated-password").inner_text().strip()
                    page.screenshot(path=str(shots / f"password-shown-{width}.png"), full_page=True)

                visit("/db-tools/", "db-tools", "DB Tools")
                _one_line(page, "td.file code")
                _one_line(page, "td.size")
                look = page.evaluate("""() => {
                    const b = document.querySelector('#backup-now');
                    const enabled = getComputedStyle(b).backgroundColor;
                    b.disabled = true;
                    const disabled = [getComputedStyle(b).backgroundColor, getComputedStyle(b).cursor];
                    b.disabled = false;
                    return [enabled, ...disabled];
                }""")
                assert look[0] != look[1] and look[2] == "not-allowed"
                backup = page.locator("tr[data-backup]").first.get_attribute("data-backup")

                visit("/audit/", "audit", "Audit log")
                if width == 1280:
                    right = page.evaluate("document.querySelector('table.audit th:last-child').getBoundingClientRect().right")
                    assert right <= width, f"the audit log's From column ends at {right} px"
                visit("/admins/", "admins", "Console admins")
                visit(f"/accounts/{account}/%25", "account", "Accounts", fits=False)  # the accounts area is shared
                visit("/accounts/new", "account-new", "Accounts")

                page.goto(f"{url}/db-tools/restore?name={backup}")
                page.fill("input[name=into]", migrated.database)
                page.fill("input[name=confirm]", migrated.database)
                page.click("button:has-text('Restore into the new database')")
                assert "already exists" in page.locator(".flash-error").inner_text()
                assert "choose a new name" in page.locator(".field-error").first.inner_text()
                page.screenshot(path=str(shots / f"restore-refused-{width}.png"), full_page=True)
                _fits(page, width, "restore")

                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    dead = probe.getsockname()[1]
                real = console_app.config["HMS_SERVICE_LOGIN"]
                console_app.config["HMS_SERVICE_LOGIN"] = dataclasses.replace(real, host="127.0.0.1", port=dead,
                                                                              unix_socket=None)
                try:
                    page.goto(f"{url}/audit/")
                    assert page.locator("h1").inner_text() == "The database server cannot be reached"
                    page.screenshot(path=str(shots / f"database-down-{width}.png"), full_page=True)
                    _fits(page, width, "database down")
                finally:
                    console_app.config["HMS_SERVICE_LOGIN"] = real
                context.close()
        finally:
            browser.close()
