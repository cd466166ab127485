"""The console's rough edges, through Flask's test client against the real server: the
database-down page, role changes that change nothing, an empty "Set password" asking first,
post/redirect/get, field-level errors, audit filters by prefix with the old role recorded,
the navigation's current page, the favicon and the Console admins page."""

from __future__ import annotations

import dataclasses
import html
import re
import secrets
import socket

import pymysql
import pytest

from hms import console_admins
from hms.connection import connect
from tests.support.console_client import audit_rows, browser, log_in, token


def _flashes(auth, path: str) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', auth.client.get(path).get_data(as_text=True)))


def _account(auth, new_name, role: str = "analyst", password: str = "First-Pass-77!q") -> str:
    name = new_name()
    created = auth.post("/accounts/new", {"name": name, "host": "%", "role": role, "password": password},
                        "/accounts/new")
    assert created.status_code == 302, created.get_data(as_text=True)[:400]
    return name


def test_logged_in_pages_with_the_database_down_say_so_and_how_to_fix_it(app, auth):
    auth.login()
    assert auth.client.get("/").status_code == 200
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    real = app.config["HMS_SERVICE_LOGIN"]
    app.config["HMS_SERVICE_LOGIN"] = dataclasses.replace(real, host="127.0.0.1", port=dead, unix_socket=None)
    try:
        for path in ("/", "/accounts/", "/audit/", "/admins/"):
            response = auth.client.get(path)
            page = response.get_data(as_text=True)
            assert response.status_code == 503, path
            assert "The database server cannot be reached" in page and "hms server start" in page
            assert "Internal Server Error" not in page and "Traceback" not in page
    finally:
        app.config["HMS_SERVICE_LOGIN"] = real
    assert auth.client.get("/").status_code == 200  # the session survived


def test_a_role_change_that_changes_nothing_says_so_and_a_change_records_the_old_role(auth, db, new_name):
    auth.login()
    name = _account(auth, new_name)
    detail = f"/accounts/{name}/%25"
    auth.post(f"{detail}/role", {"role": "analyst"}, detail)
    flashes = _flashes(auth, detail)
    assert "already holds the role analyst" in flashes and "Role changed" not in flashes
    auth.post(f"{detail}/role", {"role": "qa"}, detail)
    assert "Role changed to qa" in _flashes(auth, detail)
    changes = [(a, d) for a, t, _, d, _ in audit_rows(db, auth.name) if t == f"{name}@%" and a == "set-role"]
    assert changes == [("set-role", "role analyst -> qa")]  # the no-op was not recorded as a change


def test_an_empty_set_password_on_a_live_account_asks_before_generating(auth, migrated, new_name):
    auth.login()
    name = _account(auth, new_name)
    detail = f"/accounts/{name}/%25"
    asked = auth.post(f"{detail}/password", {"password": ""}, detail)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Generate a new password for" in page and 'name="generate"' in page
    pymysql.connect(user=name, password="First-Pass-77!q", host=migrated.host, port=migrated.port,
                    unix_socket=migrated.unix_socket).close()  # nothing changed yet
    confirmed = auth.post(f"{detail}/password", {"password": "", "generate": "y"}, detail)
    assert confirmed.status_code == 302
    shown = auth.client.get(confirmed.headers["Location"]).get_data(as_text=True)
    generated = html.unescape(re.search(r'<code id="generated-password">([^<]+)</code>', shown).group(1))
    assert 'data-copy="generated-password"' in shown  # the copy button, served by console.js (no inline script)
    assert "<script>" not in shown and 'src="/static/console.js"' in shown
    pymysql.connect(user=name, password=generated, host=migrated.host, port=migrated.port,
                    unix_socket=migrated.unix_socket).close()
    assert "Already shown" in auth.client.get(confirmed.headers["Location"]).get_data(as_text=True)


def test_a_refused_create_shows_the_reason_next_to_the_field(auth, new_name):
    auth.login()
    response = auth.post("/accounts/new", {"name": new_name(), "host": "%", "role": "analyst",
                                           "password": "short"}, "/accounts/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'class="flash flash-error"' in page
    field = page.split('name="password"')[1].split("</label>")[0]
    assert 'class="field-error"' in field and "characters long" in field


def test_audit_filters_match_by_prefix_and_offer_the_actions(auth):
    auth.login()
    page = auth.client.get(f"/audit/?action=log&actor={auth.name[:6]}").get_data(as_text=True)
    rows = re.findall(r'<tr class="outcome-[^"]+">(.*?)</tr>', page, re.S)
    assert rows and all(auth.name[:6] in row for row in rows)
    assert {re.search(r'<td class="nowrap">([^<]+)</td>', row).group(1) for row in rows} <= {"login", "logout"}
    assert any(">login<" in row for row in rows)
    assert '<datalist id="audit-actions">' in page and '<option value="login">' in page


def test_the_current_page_is_highlighted_and_the_favicon_is_served(auth):
    auth.login()
    for path, label in (("/", "Dashboard"), ("/accounts/", "Accounts"), ("/audit/", "Audit log"),
                        ("/db-tools/", "DB Tools"), ("/admins/", "Console admins"), ("/roles", "Roles")):
        page = auth.client.get(path).get_data(as_text=True)
        assert re.findall(r'aria-current="page"[^>]*>([^<]+)</a>', page) == [label], path
    page = auth.client.get("/").get_data(as_text=True)
    assert 'rel="icon"' in page
    icon = auth.client.get("/static/favicon.svg")
    try:
        assert icon.status_code == 200 and b"<svg" in icon.data
    finally:
        icon.close()


@pytest.fixture
def other_admin(service_login, migrated):
    name, password = f"adm_{secrets.token_hex(4)}", "Other-Admin-77!" + secrets.token_hex(4)
    schema = f"{migrated.database}_console"
    conn = connect(service_login, database=None)
    try:
        console_admins.create(conn, schema, name, password)
        yield name, password
        try:
            console_admins.delete(conn, schema, name)
        except console_admins.AdminError:
            pass
    finally:
        conn.close()


class _Acting:
    """The acting admin in a browser of their own (the `auth` fixture's client keeps a request
    context open, which a second client's requests would share)."""

    def __init__(self, app, admin):
        self.client, (self.name, self.password) = browser(app), admin
        assert log_in(self.client, self.name, self.password).status_code == 302

    def post(self, path: str, data: dict, form_page: str):
        return self.client.post(path, data={**data, "csrf_token": token(self.client, form_page)})


def test_console_admins_page_lists_locks_resets_and_deletes(app, console_admin, other_admin, db):
    auth = _Acting(app, console_admin)
    name, password = other_admin
    page = auth.client.get("/admins/").get_data(as_text=True)
    assert f'data-admin="{name}"' in page and f'data-admin="{auth.name}"' in page
    mine = page.split(f'data-admin="{auth.name}"')[1].split("</tr>")[0]
    assert "(you)" in mine and "Reset password" not in mine  # no locking yourself out

    other = browser(app)  # the other admin, in their own browser
    first = log_in(other, name, password)
    assert first.status_code == 302
    assert other.get("/").status_code == 200

    auth.post(f"/admins/{name}/lock", {}, "/admins/")
    assert "locked" in _flashes(auth, "/admins/")
    assert other.get("/").status_code == 302  # their session ended
    refused = log_in(other, name, password)
    assert refused.status_code == 403 and "is locked" in refused.get_data(as_text=True)
    auth.post(f"/admins/{name}/unlock", {}, "/admins/")

    reset = auth.post(f"/admins/{name}/reset", {}, "/admins/")
    assert reset.status_code == 302
    shown = auth.client.get(reset.headers["Location"]).get_data(as_text=True)
    new_password = html.unescape(re.search(r'<code id="generated-password">([^<]+)</code>', shown).group(1))
    assert log_in(other, name, password).status_code == 401
    assert log_in(other, name, new_password).status_code == 302
    assert "Already shown" in auth.client.get(reset.headers["Location"]).get_data(as_text=True)

    auth.post(f"/admins/{auth.name}/lock", {}, "/admins/")
    assert "cannot lock yourself" in _flashes(auth, "/admins/")
    unticked = auth.post(f"/admins/{name}/delete", {}, f"/admins/{name}/delete")
    assert unticked.status_code == 200 and 'class="field-error"' in unticked.get_data(as_text=True)
    auth.post(f"/admins/{name}/delete", {"confirm": "y"}, f"/admins/{name}/delete")
    assert f'data-admin="{name}"' not in auth.client.get("/admins/").get_data(as_text=True)
    actions = [(a, o) for a, t, o, _, _ in audit_rows(db, auth.name) if t == name]
    assert actions == [("lock-admin", "success"), ("unlock-admin", "success"), ("reset-admin-password", "success"),
                       ("delete-admin", "success")]
