"""Logging in and out: console admins only, throttled, with the `next` redirect validated.

A session is bound server-side to the admin's row (`Admin.login_id` holds a digest of
the password hash and the session epoch): logout, a password reset and deletion end
every copy of it. It also ends after SESSION_IDLE_SECONDS without a request and
SESSION_MAX_SECONDS after login, whatever the cookie says.
"""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hms import console_admins, login_throttle

from . import context
from .audit import audit

bp = Blueprint("auth", __name__)


class AdminUser(UserMixin):
    """The logged-in console admin, as Flask-Login sees it."""

    def __init__(self, admin: console_admins.Admin):
        self.admin = admin
        self.username = admin.username

    def get_id(self) -> str:
        return self.admin.login_id


class LoginForm(FlaskForm):
    username = StringField("Admin name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])


def load_admin(login_id: str) -> AdminUser | None:
    """Flask-Login's user_loader: None when the session expired or was revoked, or the admin is gone."""
    now = time.time()
    started, seen = session.get("hms_started"), session.get("hms_seen")
    if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)):
        return None
    if now - started > current_app.config["SESSION_MAX_SECONDS"] or \
            now - seen > current_app.config["SESSION_IDLE_SECONDS"]:
        return None
    admin = console_admins.by_login_id(context.connection(), context.schema(), login_id)
    if admin is None:
        return None
    session["hms_seen"] = now
    return AdminUser(admin)


def _policy() -> login_throttle.Policy:
    config = current_app.config
    return login_throttle.Policy(free=config["LOGIN_FAILURES_ALLOWED"], base=config["LOGIN_DELAY_SECONDS"],
                                 ceiling=config["LOGIN_DELAY_MAX_SECONDS"])


def _start_session(admin: console_admins.Admin) -> None:
    """Drop everything the pre-login session held (its CSRF secret too), then log in."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request cache of the old secret's token
    login_user(AdminUser(admin))
    session["hms_started"] = session["hms_seen"] = time.time()


def _wait_words(seconds: float) -> str:
    if seconds <= 90:
        return f"{math.ceil(seconds)} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def safe_next(target: str | None) -> str | None:
    """Return `target` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        conn, schema, source = context.connection(), context.schema(), context.source()
        # Counted (and committed) before the password is looked at: concurrent guesses queue.
        wait = login_throttle.admit(conn, schema, username, source, _policy())
        if wait > 0:
            audit("login", username, "refused", "throttled after repeated failures from this address")
            flash(f"Too many failed logins for this name from this address. Try again in {_wait_words(wait)}.",
                  "error")
            return render_template("login.html", form=form), 429
        try:
            admin = console_admins.authenticate(conn, schema, username, form.password.data)
        except console_admins.AdminError as exc:
            audit("login", username, "refused", exc.what)
            flash(exc.message, "error")
            return render_template("login.html", form=form), 403
        if admin is None:
            audit("login", username, "failure", "wrong admin name or password")
            flash("Wrong admin name or password.", "error")
            return render_template("login.html", form=form), 401
        login_throttle.succeeded(conn, schema, username, source)
        _start_session(admin)
        audit("login", username, "success")
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout():
    audit("logout", context.actor(), "success")
    if current_user.is_authenticated:
        # Every copy of this admin's session cookie stops working, not just this browser's.
        console_admins.revoke_sessions(context.connection(), context.schema(), current_user.admin.admin_id)
    logout_user()
    session.clear()
    flash("Logged out.", "success")
    return redirect(url_for("auth.login"))
