"""Doctor logins from the console in a real browser (Playwright driving Debian's Chromium):
the add-account and change-role forms show a doctor id field for the doctor role only,
refuse the doctor role without it, and map, remap and unmap the login (doctor_login)."""

from __future__ import annotations

import pytest

from tests.support import query
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser


def test_the_doctor_id_field_follows_the_role_and_maps_the_login(live_console, console_admin, new_name, db, clinic):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh browser (make test does)")
    first, second, name = clinic.doctor(), clinic.doctor(), new_name("t_webdoc")

    def mapping():
        return query(db, "SELECT doctor_id FROM doctor_login WHERE login_name = %s", (name,))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            blocked: list[str] = []
            page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text
                    else None)
            log_in(page, live_console, *console_admin)

            page.goto(f"{live_console}/accounts/new")
            doctor_id = page.locator("input[name=doctor_id]")
            assert doctor_id.is_hidden()
            page.select_option("select[name=role]", "doctor")
            assert doctor_id.is_visible()
            page.select_option("select[name=role]", "analyst")
            assert doctor_id.is_hidden()

            page.select_option("select[name=role]", "doctor")
            page.fill("input[name=name]", name)
            page.click("button:has-text('Create account')")
            assert "a doctor account needs the doctor it is" in page.locator(".flash").first.inner_text()
            assert page.locator("input[name=doctor_id]").is_visible()   # the refused form keeps the role
            assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,)) == [(0,)]

            page.fill("input[name=doctor_id]", str(first))
            page.click("button:has-text('Create account')")
            assert page.locator("#generated-password").inner_text().strip()
            assert mapping() == [(first,)]

            page.goto(f"{live_console}/accounts/{name}/%25")
            role_doctor = page.locator("#role-doctor-id")
            assert page.locator("select[name=role]").input_value() == "doctor" and role_doctor.is_visible()
            role_doctor.fill(str(second))
            page.click("button:has-text('Change role')")
            assert "Role changed to doctor" in page.locator(".flash").first.inner_text()
            assert mapping() == [(second,)]

            page.select_option("select[name=role]", "analyst")
            assert page.locator("#role-doctor-id").is_hidden()
            page.click("button:has-text('Change role')")
            assert "Role changed to analyst" in page.locator(".flash").first.inner_text()
            assert mapping() == []
            assert not blocked, f"the browser blocked {blocked}"
        finally:
            browser.close()
            query(db, "DELETE FROM doctor_login WHERE login_name = %s", (name,))
