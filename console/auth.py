"""Logging in and out: console admins only, throttled, with the `next` redirect validated."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import UserMixin, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hms import audit_log
from hms import console_admins

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
    """Flask-Login's user_loader: None when the admin was deleted or their password changed."""
    admin = console_admins.by_login_id(context.connection(), context.schema(), login_id)
    return AdminUser(admin) if admin else None


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
        failures = audit_log.recent_login_failures(
            context.connection(), context.schema(), username, context.source(),
            current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
        if failures >= current_app.config["LOGIN_FAILURES_ALLOWED"]:
            audit("login", username, "refused", "throttled after repeated failures")
            minutes = current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"] // 60
            flash(f"Too many failed logins for this name or address. Try again in {minutes} minutes.", "error")
            return render_template("login.html", form=form), 429
        admin = console_admins.authenticate(context.connection(), context.schema(), username, form.password.data)
        if admin is None:
            audit("login", username, "failure", "wrong admin name or password")
            flash("Wrong admin name or password.", "error")
            return render_template("login.html", form=form), 401
        login_user(AdminUser(admin))
        audit("login", username, "success")
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout():
    audit("logout", context.actor(), "success")
    logout_user()
    flash("Logged out.", "success")
    return redirect(url_for("auth.login"))
