"""What a request acts with: its service-account connection (on `g`, closed at teardown), the
console schema, the acting admin, the client's address and the account manager."""

from __future__ import annotations

from flask import abort, current_app, g, request
from flask_login import current_user

from hms.accounts import AccountManager
from hms.databases import console_schema
from hms.service_account import ServiceAccountError, connect_service, service_login


def init_app(app) -> None:
    app.teardown_appcontext(close_connection)


def connection():
    """The request's connection as the console's service account."""
    if "hms_conn" not in g:
        login = current_app.config["HMS_SERVICE_LOGIN"] or service_login(current_app.config["HMS_SETTINGS"])
        try:
            g.hms_conn = connect_service(login)
        except ServiceAccountError as exc:
            abort(503, exc.message)  # the operator needs the cause and its fix, not "something went wrong"
    return g.hms_conn


def schema() -> str:
    """The console schema, <database>_console."""
    return console_schema(current_app.config["HMS_DATABASE"])


def actor() -> str:
    """Who acts: the logged-in admin's name, or 'anonymous'."""
    return current_user.username if current_user.is_authenticated else "anonymous"


def source() -> str:
    """Where the request came from (the client address Werkzeug saw)."""
    return (request.remote_addr or "unknown")[:100]


def account_manager() -> AccountManager:
    """The account manager the CLI also uses, acting as the logged-in admin from the client's address."""
    return AccountManager(connection(), current_app.config["HMS_DATABASE"], actor=actor(), source=source())


def close_connection(_exc=None) -> None:
    conn = g.pop("hms_conn", None)
    if conn is not None:
        conn.close()


def admin_login():
    """The administrative login, for pages that read what the service account may not (server
    health, the hospital dashboard), as DB Tools backs up with it. Tests set HMS_ADMIN_LOGIN."""
    from hms.login import admin_login as settings_admin_login

    config = current_app.config
    return config.get("HMS_ADMIN_LOGIN") or config.get("HMS_BACKUP_LOGIN") or settings_admin_login(
        config["HMS_SETTINGS"])


def admin_connection():
    """A pooled connection as the administrative login (console/admin_pool.py), as a context manager."""
    from .admin_pool import pool_of

    return pool_of(current_app._get_current_object(), admin_login).connection()
