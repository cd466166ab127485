"""One service-account connection per request, on `g`, closed at teardown."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user

from hms.accounts import AccountService
from hms.db import connect
from hms.migrate import companion_database
from hms.service_account import service_info


def init_app(app) -> None:
    app.teardown_appcontext(close_connection)


def connection():
    """The request's connection as the console's service account."""
    if "hms_conn" not in g:
        login = current_app.config["HMS_SERVICE_LOGIN"] or service_info(current_app.config["HMS_SETTINGS"])
        g.hms_conn = connect(login, database=None)
    return g.hms_conn


def schema() -> str:
    """The console schema, <database>_console."""
    return companion_database(current_app.config["HMS_DATABASE"])


def actor() -> str:
    """Who acts: the logged-in admin's name, or 'anonymous'."""
    return current_user.username if current_user.is_authenticated else "anonymous"


def source() -> str:
    """Where the request came from (the client address Werkzeug saw)."""
    return (request.remote_addr or "unknown")[:100]


def account_service() -> AccountService:
    """The shared account service, acting as the logged-in admin from the client's address."""
    return AccountService(connection(), current_app.config["HMS_DATABASE"], actor=actor(), source=source())


def close_connection(_exc=None) -> None:
    conn = g.pop("hms_conn", None)
    if conn is not None:
        conn.close()
