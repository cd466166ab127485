"""Low findings of the security review: common passwords, audit paging, the add-account form."""

from __future__ import annotations

import pytest

from hms.passwords import WeakPassword
from tests.support import query
from tests.support.console_client import browser, log_in, token


@pytest.mark.parametrize("password", ["Password123!", "Welcome2024!", "Hospital2025#"])
def test_common_passwords_are_refused_and_the_reason_given(service, new_name, password, db):
    name = new_name()
    with pytest.raises(WeakPassword) as excinfo:
        service.create(name, "analyst", password=password)
    assert "common password" in excinfo.value.message
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0


@pytest.mark.parametrize("page", ["99999999999999999999999", "9223372036854775807", "4000000", "-5", "x"])
def test_audit_paging_with_bad_numbers_gives_a_clean_page(app, console_admin, page):
    client = browser(app)
    log_in(client, *console_admin)
    response = client.get(f"/audit/?page={page}")
    assert response.status_code == 200
    assert "Audit" in response.get_data(as_text=True)


def test_add_account_form_has_no_role_chosen_and_asks_for_one(app, console_admin, new_name, db):
    client = browser(app)
    log_in(client, *console_admin)
    page = client.get("/accounts/new").get_data(as_text=True)
    assert '<option selected value="">' in page or '<option value="" selected>' in page
    name = new_name()
    response = client.post("/accounts/new", data={"name": name, "host": "%", "role": "",
                                                  "csrf_token": token(client, "/accounts/new")})
    assert "choose a role" in response.get_data(as_text=True)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
