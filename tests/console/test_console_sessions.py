"""Console sessions really end (logout, password reset, idle and absolute lifetime), login
starts afresh, and the login throttle counts before checking, per name and address."""

from __future__ import annotations

import secrets
import threading
import time

from hms import console_admins, login_throttle
from hms.connection import connect
from hms.databases import console_schema
from seed.concurrent import side_by_side
from tests.support import query
from tests.support.console_client import address, browser, log_in, logged_in, token

WRONG = "Wrong-Password-1!"


def test_a_copied_cookie_is_refused_after_logout(app, console_admin):
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


def test_logout_ends_the_admins_other_sessions_too(app, console_admin):
    first, second = browser(app), browser(app)
    log_in(first, *console_admin)
    log_in(second, *console_admin)
    assert logged_in(first) and logged_in(second)
    first.post("/logout", data={"csrf_token": token(first, "/")})
    assert not logged_in(second)


def test_a_password_reset_ends_open_sessions(app, console_admin, service_login, migrated):
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


def test_an_idle_session_ends(app, console_admin):
    app.config["SESSION_IDLE_SECONDS"] = 1
    client = browser(app)
    log_in(client, *console_admin)
    assert logged_in(client)
    time.sleep(1.5)
    assert not logged_in(client)


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, console_admin):
    app.config.update(SESSION_IDLE_SECONDS=60, SESSION_MAX_SECONDS=2)
    client = browser(app)
    log_in(client, *console_admin)
    for _ in range(3):
        assert logged_in(client)
        time.sleep(0.5)
    time.sleep(1.0)
    assert not logged_in(client)


def test_login_drops_the_pre_login_session_and_its_csrf_secret(app, console_admin):
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


def test_concurrent_guesses_are_counted_before_they_are_checked(app, console_admin, db):
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
    assert set(codes) <= {401, 429}, codes   # every guess answered: none lost to a deadlock
    assert codes.count(401) <= allowed and codes.count(429) >= 15 - allowed
    checked = query(db, "SELECT COUNT(*) FROM hms_test_console.audit_log WHERE action = 'login' "
                        "AND target = %s AND outcome = 'failure'", (name,))[0][0]
    assert checked <= allowed


def test_simultaneous_first_attempts_are_each_counted_once_without_a_deadlock(service_login, migrated):
    """Twelve sessions count a first attempt for the same new (name, address) at the same
    instant, over several rounds: none fails (the prune's gap lock once made them deadlock,
    1213), the policy's free attempts are admitted and no more, and the row holds exactly
    that many failures. The table starts each round empty, as on a console's first morning:
    that is when each attempt's prune locked the index's last gap, where every new row goes."""
    schema = console_schema(migrated.database)
    policy = login_throttle.Policy(free=5, base=30.0)
    conns = [connect(service_login, database=None) for _ in range(12)]
    try:
        for round_ in range(15):
            name, source = f"race_{secrets.token_hex(4)}", f"198.51.100.{round_}"
            query(conns[0], f"DELETE FROM `{schema}`.login_throttle")   # this worker's own server
            start = threading.Barrier(len(conns))
            waits: list[float] = []

            def attempt(conn):
                start.wait()
                waits.append(login_throttle.admit(conn, schema, name, source, policy))

            side_by_side(*(lambda c=c: attempt(c) for c in conns))   # raises the first error, a deadlock once
            assert sum(1 for w in waits if w == 0) == policy.free
            failures = query(conns[0], f"SELECT failures FROM `{schema}`.login_throttle "
                                       "WHERE username = %s AND source = %s", (name, source))[0][0]
            assert failures == policy.free
    finally:
        for conn in conns:
            conn.close()


def test_an_attempt_prunes_rows_idle_for_a_day_and_keeps_the_rest(service_login, migrated):
    schema = console_schema(migrated.database)
    table = f"`{schema}`.login_throttle"
    stale, recent = (f"stale_{secrets.token_hex(4)}", "192.0.2.1"), (f"recent_{secrets.token_hex(4)}", "192.0.2.2")
    conn = connect(service_login, database=None)
    try:
        query(conn, f"INSERT INTO {table} (username, source, failures, last_attempt_at) VALUES "
                    "(%s, %s, 3, NOW(3) - INTERVAL 25 HOUR), (%s, %s, 3, NOW(3) - INTERVAL 23 HOUR)",
              stale + recent)
        assert login_throttle.admit(conn, schema, "someone", "192.0.2.3", login_throttle.Policy()) == 0
        left = query(conn, f"SELECT username FROM {table} WHERE username IN (%s, %s)", (stale[0], recent[0]))
        assert left == [(recent[0],)]
    finally:
        query(conn, f"DELETE FROM {table} WHERE username IN (%s, %s, 'someone')", (stale[0], recent[0]))
        conn.close()


def test_guesses_from_one_address_do_not_lock_the_admin_out_of_another(app, console_admin):
    name, password = console_admin
    stranger = browser(app)
    codes = [log_in(stranger, name, WRONG).status_code for _ in range(8)]
    assert codes.count(429) >= 3
    assert log_in(stranger, name, password).status_code == 429  # the stranger's address waits
    admin = browser(app)
    assert log_in(admin, name, password).status_code == 302
    assert logged_in(admin)
