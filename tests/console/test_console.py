"""The web console with Flask's test client, against the real server: every page,
every action, every refusal, and the audit log of them all."""

from __future__ import annotations

import re

import pymysql
import pytest

from console import create_app
from hms import console_admins, errcodes
from hms.connection import connect
from hms.errors import ConfigError
from tests.support import query
from tests.support.console_client import audit_rows


@pytest.mark.parametrize("path", ["/", "/accounts/", "/accounts/new", "/roles", "/privileges", "/audit/",
                                  "/accounts/alice/%25", "/accounts/alice/%25/delete"])
def test_every_page_needs_a_login(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_posts_need_a_login_too(app):
    client = app.test_client()
    for path in ("/accounts/new", "/accounts/alice/%25/lock", "/accounts/alice/%25/delete"):
        assert client.post(path, data={}).status_code in (302, 400)


def test_login_logout_and_security_headers(auth, db):
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = auth.client.get("/")
    assert page.status_code == 200 and "Dashboard" in page.get_data(as_text=True)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    cookie = auth.client.get_cookie("hms_console")
    assert cookie.http_only and cookie.same_site == "Lax"
    auth.post("/logout", {}, "/")
    assert auth.client.get("/").status_code == 302
    actions = [(a, o) for a, _, o, _, _ in audit_rows(db, auth.name)]
    assert ("login", "success") in actions and ("logout", "success") in actions


def test_wrong_password_is_refused_audited_and_throttled(auth, app, db):
    app.config["LOGIN_FAILURES_ALLOWED"] = 3
    for _ in range(3):
        assert auth.login(password="Wrong-Password-1!").status_code == 401
    # The right password no longer helps once the name is throttled.
    response = auth.login()
    assert response.status_code == 429 and "Too many failed logins" in response.get_data(as_text=True)
    rows = query(db, "SELECT outcome, detail FROM hms_test_console.audit_log WHERE action = 'login' AND target = %s",
                 (auth.name,))
    assert [o for o, _ in rows] == ["failure"] * 3 + ["refused"]


@pytest.mark.parametrize("next_url, expected", [("/accounts/", "/accounts/"), ("https://evil.example/", "/"),
                                                ("//evil.example/", "/"), ("/\\evil.example", "/")])
def test_next_redirect_is_validated(auth, next_url, expected):
    assert auth.login(next_url=next_url).headers["Location"] == expected


def test_a_form_without_a_valid_csrf_token_is_refused_and_audited(auth, db, new_name):
    auth.login()
    name = new_name()
    response = auth.client.post("/accounts/new", data={"name": name, "host": "%", "role": "analyst",
                                                       "csrf_token": "forged"})
    assert response.status_code == 400 and "Reload the page" in response.get_data(as_text=True)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
    assert ("csrf", "/accounts/new", "refused") in [(a, t, o) for a, t, o, _, _ in audit_rows(db, auth.name)]


def test_add_an_account_shows_its_password_once_and_it_logs_in(auth, db, migrated, new_name):
    auth.login()
    name = new_name()
    response = auth.post("/accounts/new", {"name": name, "host": "%", "role": "analyst", "password": ""},
                         "/accounts/new")
    assert response.status_code == 302  # post/redirect/get: a refresh does not create it twice
    shown = response.headers["Location"]
    page = auth.client.get(shown).get_data(as_text=True)
    assert "shown this once" in page
    password = re.search(r'<code id="generated-password">([^<]+)</code>', page).group(1)
    import html
    password = html.unescape(password)
    again = auth.client.get(shown).get_data(as_text=True)
    assert "Already shown" in again and password not in again
    conn = pymysql.connect(user=name, password=password, host=migrated.host, port=migrated.port,
                           unix_socket=migrated.unix_socket, database=migrated.database)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM department")
            with pytest.raises(pymysql.err.OperationalError) as excinfo:
                cur.execute("DELETE FROM department")
        assert excinfo.value.args[0] == errcodes.TABLEACCESS_DENIED
    finally:
        conn.close()
    assert name in auth.client.get("/").get_data(as_text=True)
    assert name in auth.client.get(f"/accounts/?q={name}").get_data(as_text=True)
    assert password not in " ".join(str(r) for r in audit_rows(db, auth.name))


@pytest.mark.parametrize("name, host, role, password, reason", [
    ("x'@'%' OR 1=1 --", "%", "analyst", "", "is not a valid account name"),
    ("<script>alert(1)</script>", "%", "analyst", "", "is not a valid account name"),
    ("a" * 40, "%", "analyst", "", "is not a valid account name"),
    ("okname", "%", "superuser", "", "is not an hms role"),
    ("okname", "bad host", "analyst", "", "is not a valid host"),
    ("okname", "%", "analyst", "weakpassword", "lacks an upper-case letter"),
    ("root", "localhost", "dba", "", "reserved"),
])
def test_bad_input_comes_back_with_the_reason_changes_nothing_and_is_audited(auth, db, name, host, role,
                                                                              password, reason):
    auth.login()
    users_before = query(db, "SELECT COUNT(*) FROM mysql.user")[0][0]
    response = auth.post("/accounts/new", {"name": name, "host": host, "role": role, "password": password},
                         "/accounts/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and reason in page
    assert "<script>alert(1)</script>" not in page  # escaped, never markup
    assert query(db, "SELECT COUNT(*) FROM mysql.user")[0][0] == users_before
    rows = audit_rows(db, auth.name)
    assert rows[-1][0] == "create" and rows[-1][2] == "refused" and reason.split()[0] in rows[-1][3]
    if password:
        assert password not in " ".join(str(r) for r in rows)


def test_detail_change_role_reset_password_lock_unlock_and_delete(auth, db, migrated, new_name, dialect):
    auth.login()
    name = new_name()
    auth.post("/accounts/new", {"name": name, "host": "%", "role": "analyst", "password": "Console-Pass-77!"},
              "/accounts/new")
    detail = f"/accounts/{name}/%25"
    page = auth.client.get(detail).get_data(as_text=True)
    assert "hms_analyst" in page and "PASSWORD" not in page

    response = auth.post(f"{detail}/role", {"role": "developer"}, detail)
    assert response.status_code == 302
    assert "Role changed to developer" in auth.client.get(detail).get_data(as_text=True)
    assert query(db, dialect.role_membership_sql(), (name, "%", "hms_developer"))[0][0] == 1
    assert query(db, dialect.role_membership_sql(), (name, "%", "hms_analyst"))[0][0] == 0

    response = auth.post(f"{detail}/password", {"password": "Second-Pass-88!"}, detail)
    assert response.status_code == 302
    assert "The password you gave is set" in auth.client.get(response.headers["Location"]).get_data(as_text=True)
    pymysql.connect(user=name, password="Second-Pass-88!", host=migrated.host, port=migrated.port,
                    unix_socket=migrated.unix_socket).close()

    auth.post(f"{detail}/lock", {}, detail)
    assert "locked" in auth.client.get(detail).get_data(as_text=True)
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(user=name, password="Second-Pass-88!", host=migrated.host, port=migrated.port,
                        unix_socket=migrated.unix_socket)
    auth.post(f"{detail}/unlock", {}, detail)

    confirm = auth.client.get(f"{detail}/delete")
    assert "DROP USER" in confirm.get_data(as_text=True)
    unconfirmed = auth.post(f"{detail}/delete", {}, f"{detail}/delete")
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 1
    response = auth.post(f"{detail}/delete", {"confirm": "y"}, f"{detail}/delete")
    assert response.status_code == 302
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
    actions = [(a, o) for a, t, o, _, _ in audit_rows(db, auth.name) if t == f"{name}@%"]
    assert actions == [("create", "success"), ("set-role", "success"), ("set-password", "success"),
                       ("lock", "success"), ("unlock", "success"), ("drop", "success")]


def test_actions_on_root_are_refused_with_the_servers_reason(auth, db):
    auth.login()
    response = auth.post("/accounts/root/localhost/lock", {}, "/accounts/new")
    assert response.status_code == 302
    page = auth.client.get("/accounts/").get_data(as_text=True)
    assert "Nothing was changed" in page and "reserved" in page
    assert auth.client.get("/accounts/root/localhost").status_code in (400, 404)


def test_dashboard_cards_link_to_their_details(auth, new_name):
    auth.login()
    page = auth.client.get("/").get_data(as_text=True)
    for card, target in (("card-accounts", "/accounts/"), ("card-roles", "/roles"), ("card-privileges", "/privileges")):
        assert re.search(rf'href="{re.escape(target)}" id="{card}"', page)
    assert "hms_auditor" in auth.client.get("/roles").get_data(as_text=True)
    assert "SELECT ON `hms_test`.*" in auth.client.get("/privileges").get_data(as_text=True).replace("&#96;", "`")


def test_audit_page_filters(auth, db):
    auth.login()
    auth.login(password="Wrong-Password-2!")
    page = auth.client.get(f"/audit/?actor={auth.name}&outcome=success").get_data(as_text=True)
    assert "login" in page and "badge-failure" not in page
    page = auth.client.get("/audit/?action=login&outcome=failure&q=" + auth.name).get_data(as_text=True)
    assert "badge-failure" in page


def test_deleting_an_admin_ends_their_session(auth, service_login, migrated):
    auth.login()
    assert auth.client.get("/").status_code == 200
    conn = connect(service_login, database=None)
    try:
        console_admins.delete(conn, f"{migrated.database}_console", auth.name)
    finally:
        conn.close()
    assert auth.client.get("/").status_code == 302


def test_unknown_pages_show_a_plain_error_without_a_trace(auth):
    auth.login()
    response = auth.client.get("/no/such/page")
    assert response.status_code == 404 and "Traceback" not in response.get_data(as_text=True)


def test_refuses_to_start_without_a_secret_key_outside_development(monkeypatch):
    monkeypatch.delenv("HMS_SECRET_KEY", raising=False)
    monkeypatch.delenv("HMS_CONSOLE_DEV", raising=False)
    with pytest.raises(ConfigError, match="HMS_SECRET_KEY"):
        create_app()
    monkeypatch.setenv("HMS_CONSOLE_DEV", "1")
    assert create_app().config["SECRET_KEY"]


def test_secure_cookie_when_served_over_https(monkeypatch):
    monkeypatch.setenv("HMS_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("HMS_CONSOLE_HTTPS", "1")
    assert create_app().config["SESSION_COOKIE_SECURE"] is True
