"""Driving the console through Flask's test client: CSRF tokens, a logged-in admin, the audit log."""

from __future__ import annotations

import re
import secrets

from . import query

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def token(client, path: str = "/login") -> str:
    """The CSRF token of the form on `path`."""
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


class Auth:
    def __init__(self, client, admin):
        self.client, self.name, self.password = client, *admin

    def login(self, name=None, password=None, next_url=None):
        path = "/login" + (f"?next={next_url}" if next_url else "")
        return self.client.post(path, data={"username": name or self.name, "password": password or self.password,
                                            "csrf_token": token(self.client, "/login")})

    def post(self, path: str, data: dict, form_page: str):
        return self.client.post(path, data={**data, "csrf_token": token(self.client, form_page)})


def audit_rows(db, actor: str) -> list[tuple]:
    return query(db, "SELECT action, target, outcome, COALESCE(detail, ''), source FROM hms_test_console.audit_log "
                     "WHERE actor = %s ORDER BY audit_id", (actor,))


def address() -> str:
    """A random client address, so login throttling of one test does not touch another."""
    return "10.%d.%d.%d" % tuple(secrets.randbelow(250) + 1 for _ in range(3))


def browser(app, remote_addr: str | None = None):
    """A test client of `app` coming from `remote_addr` (a random address by default)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote_addr or address()
    return client


def log_in(client, name: str, password: str, csrf: str | None = None):
    """Post the login form."""
    return client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": csrf or token(client)})


def logged_in(client) -> bool:
    """True when the client's session opens the dashboard."""
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200
