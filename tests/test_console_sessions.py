"""Console sessions really end (logout, password reset, idle and absolute lifetime), login
starts afresh, and the login throttle counts before checking, per name and address."""

from __future__ import annotations

import re
import secrets
import threading
import time

import pytest

from console import create_app
from hms import console_admins
from hms.connection import connect
from hms.databases import console_schema

from .accounts_fixtures import console_admin, made_accounts, new_name, service_home, service_login  # noqa: F401
from .conftest import query

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
WRONG = "Wrong-Password-1!"


@pytest.fixture
def app(service_login, migrated):  # noqa: F811
    return create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
                       "HMS_DATABASE": migrated.database})


def address() -> str:
    return "10.%d.%d.%d" % tuple(secrets.randbelow(250) + 1 for _ in range(3))


def browser(app, remote_addr: str | None = None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote_addr or address()
    return client


def token(client, path: str = "/login") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def log_in(client, name: str, password: str, csrf: str | None = None):
    return client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": csrf or token(client)})


def logged_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_copied_cookie_is_refused_after_logout(app, console_admin):  # noqa: F811
    source = address()
    client = browser(app, source)
    assert log_in(client, *console_admin).status_code == 302
    copied = client.get_cookie("hms_console").value
    assert client.post("/logout", data={"csrf_token": token(client, "/")}).status_code == 302
    # Same address and user agent: Flask-Login's "strong" protection alone does not stop it.
    thief = browser(app, source)
    thief.set_cookie("hms_console", copied)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_the_admins_other_sessions_too(app, console_admin):  # noqa: F811
    first, second = browser(app), browser(app)
    log_in(first, *console_admin)
    log_in(second, *console_admin)
    assert logged_in(first) and logged_in(second)
    first.post("/logout", data={"csrf_token": token(first, "/")})
    assert not logged_in(second)


def test_a_password_reset_ends_open_sessions(app, console_admin, service_login, migrated):  # noqa: F811
    client = browser(app)
    log_in(client, *console_admin)
    assert logged_in(client)
    conn = connect(service_login, database=None)
    try:
        console_admins.create(conn, console_schema(migrated.database), console_admin[0],
                              "New-Admin-Pass-" + secrets.token_hex(4) + "!", replace=True)
    finally:
        conn.close()
    assert not logged_in(client)


def test_an_idle_session_ends(app, console_admin):  # noqa: F811
    app.config["SESSION_IDLE_SECONDS"] = 1
    client = browser(app)
    log_in(client, *console_admin)
    assert logged_in(client)
    time.sleep(1.5)
    assert not logged_in(client)


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, console_admin):  # noqa: F811
    app.config.update(SESSION_IDLE_SECONDS=60, SESSION_MAX_SECONDS=2)
    client = browser(app)
    log_in(client, *console_admin)
    for _ in range(3):
        assert logged_in(client)
        time.sleep(0.5)
    time.sleep(1.0)
    assert not logged_in(client)


def test_login_drops_the_pre_login_session_and_its_csrf_secret(app, console_admin):  # noqa: F811
    client = browser(app)
    before = token(client)
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
        secret_before = sess["csrf_token"]
    assert log_in(client, *console_admin, csrf=before).status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != secret_before
    # A form token minted before login is no longer accepted.
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400
    assert logged_in(client)


def test_concurrent_guesses_are_counted_before_they_are_checked(app, console_admin, db):  # noqa: F811
    name, _ = console_admin
    source = address()
    clients = [browser(app, source) for _ in range(15)]
    tokens = [token(c) for c in clients]
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def guess(client, csrf):
        start.wait()
        codes.append(log_in(client, name, WRONG, csrf).status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    allowed = app.config["LOGIN_FAILURES_ALLOWED"]
    assert len(codes) == 15
    assert codes.count(401) <= allowed and codes.count(429) >= 15 - allowed
    checked = query(db, "SELECT COUNT(*) FROM hms_test_console.audit_log WHERE action = 'login' "
                        "AND target = %s AND outcome = 'failure'", (name,))[0][0]
    assert checked <= allowed


def test_guesses_from_one_address_do_not_lock_the_admin_out_of_another(app, console_admin):  # noqa: F811
    name, password = console_admin
    stranger = browser(app)
    codes = [log_in(stranger, name, WRONG).status_code for _ in range(8)]
    assert codes.count(429) >= 3
    assert log_in(stranger, name, password).status_code == 429  # the stranger's address waits
    admin = browser(app)
    assert log_in(admin, name, password).status_code == 302
    assert logged_in(admin)
