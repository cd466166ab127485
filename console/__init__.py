"""The RBAC web console: a Flask app only console admins can enter.

`create_app(test_config=None)` builds it. Every page but the login page needs a
logged-in admin (checked once, app-wide, in `_require_login`), every form carries
a CSRF token (Flask-WTF), every response carries security headers, and every
action is written to the audit log.

Extension points (for the backup pages and anything after them):
- add a blueprint to BLUEPRINTS below; its pages are login-protected automatically;
- record what it does with `console.audit.audit(action, target, outcome, detail)`;
- talk to the server through `console.context.connection()` (the service account), or
  open another connection of your own with the privileges your feature needs.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

import pymysql
from flask import Flask, current_app, g, render_template, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from hms.config import Settings
from hms import errcodes
from hms.errors import ConfigError, ConnectionFailed

from . import accounts, admins, audit, auth, context, dashboard, dbtools, health

# One list of blueprints: add yours here.
BLUEPRINTS = [auth.bp, dashboard.bp, accounts.bp, audit.bp]
BLUEPRINTS.append(dbtools.bp)
BLUEPRINTS.append(health.bp)
BLUEPRINTS.append(admins.bp)

# The navigation: (endpoint, label); the page under an item's address is highlighted.
NAV = [("dashboard.index", "Dashboard"), ("accounts.index", "Accounts"), ("dashboard.roles", "Roles"),
       ("dashboard.privileges", "Privileges"), ("audit.log", "Audit log"), ("dbtools.index", "DB Tools"),
       ("admins.index", "Console admins"), ("health.index", "Server health")]

# Endpoints reachable without logging in.
PUBLIC_ENDPOINTS = {"auth.login", "static"}

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")

csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(test_config: dict | None = None) -> Flask:
    """Return the console app; refuses to build outside development without HMS_SECRET_KEY."""
    app = Flask(__name__)
    settings = Settings.from_env()
    development = os.environ.get("HMS_CONSOLE_DEV") == "1"
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        HMS_SETTINGS=settings,
        HMS_DATABASE=settings.database,
        HMS_SERVICE_LOGIN=None,       # a ConnectionInfo; None = from HMS_HOME / HMS_SERVICE_PASSWORD
        HMS_DEVELOPMENT=development,
        HMS_HTTPS=os.environ.get("HMS_CONSOLE_HTTPS") == "1",
        LOGIN_FAILURES_ALLOWED=5,        # per (name, address), free; then growing delays
        LOGIN_DELAY_SECONDS=30,          # the first delay, doubled per further failure
        LOGIN_DELAY_MAX_SECONDS=15 * 60,
        SESSION_IDLE_SECONDS=30 * 60,    # a session ends after this long without a request
        SESSION_MAX_SECONDS=12 * 3600,   # and this long after login, whatever happens
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),  # the cookie signature's own max age
        PAGE_SIZE=20,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="hms_console",
        WTF_CSRF_TIME_LIMIT=3600,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        if not (app.config["HMS_DEVELOPMENT"] or app.config.get("TESTING")):
            raise ConfigError("the console will not start without HMS_SECRET_KEY",
                              "Set HMS_SECRET_KEY to a long random value (e.g. `python -c 'import secrets; "
                              "print(secrets.token_hex(32))'`), or run with --dev for local development")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["HMS_HTTPS"])

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to use the console."
    context.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    app.before_request(_require_login)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    for code in (400, 403, 404, 405, 413, 500, 503):
        app.register_error_handler(code, _error_page)
    app.register_error_handler(ConnectionFailed, _database_down)
    app.register_error_handler(pymysql.err.OperationalError, _database_lost)
    app.context_processor(_navigation)
    return app


def _navigation() -> dict:
    def current(endpoint: str) -> bool:
        target = url_for(endpoint)
        return request.path == target or (target != "/" and target.endswith("/") and request.path.startswith(target))
    return {"nav_items": lambda: NAV, "nav_current": current}


def _database_down(error: ConnectionFailed):
    """The server cannot be reached (or refuses the console): say so and how to fix it, not a bare 500."""
    current_app.logger.error("database unreachable on %s: %s", request.path, error.message)
    g.hms_database_down = True
    return render_template("database_down.html", offline=True, what=error.what, hint=error.fix), 503


def _database_lost(error: pymysql.err.OperationalError):
    """The server went away during the request (restarted, stopped): the same page; anything else stays a 500."""
    code = error.args[0] if error.args else 0
    if code not in errcodes.CONNECT_FAILURES:
        current_app.logger.error("database error on %s", request.path, exc_info=error)
        return _error_page(error)
    current_app.logger.error("database connection lost on %s: %s", request.path, error)
    g.hms_database_down = True
    return render_template("database_down.html", offline=True, what="the console lost its connection to the "
                           "database server", hint="Check it runs with `hms server status` (start it with "
                           "`hms server start`), then reload this page"), 503


@login_manager.user_loader
def _load_admin(login_id: str):
    if g.get("hms_database_down"):
        return None  # rendering the database-down page: no second try at the server
    return auth.load_admin(login_id)


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _security_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "static":
        # Pages may show a password once; never keep them in a cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_error(error: CSRFError):
    audit.audit("csrf", request.path, "refused", error.description)
    return render_template("error.html", code=400, title="The form could not be accepted",
                           message=f"{error.description} Reload the page and try again."), 400


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed",
              413: "Request too large", 500: "Something went wrong"}
    message = getattr(error, "description", None) if code != 500 else \
        "The console hit an unexpected error. Nothing was shown to protect details; see the server log."
    return render_template("error.html", code=code, title=titles.get(code, "Error"), message=message), code
