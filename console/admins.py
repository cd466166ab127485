"""Console admins: the people who log in here. List, reset a password (generated, shown once),
lock or unlock, delete with confirmation. Through hms.console_admins as the console's service
account, the same calls as `hms console list-admins / create-admin --reset / lock-admin /
delete-admin`, each audited; a reset password is enrolled for elevation with the administrative
login, as `hms console create-admin` does. An admin cannot lock, reset or delete themselves here
(no one locks the last door from inside): another admin, or the CLI, does that."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField

from hms import console_admins, elevation, passwords
from hms.connection import session
from hms.errors import HmsError
from hms.login import admin_login

from . import context, once

bp = Blueprint("admins", __name__, url_prefix="/admins")


class ActionForm(FlaskForm):
    """Only the CSRF token."""


class DeleteForm(FlaskForm):
    confirm = BooleanField("Yes, delete this console admin")


@bp.get("/")
def index():
    admins = console_admins.list_admins(context.connection(), context.schema())
    return render_template("admins/list.html", admins=admins, form=ActionForm(), me=context.actor())


@bp.post("/<name>/lock")
def lock(name: str):
    return _lock(name, True)


@bp.post("/<name>/unlock")
def unlock(name: str):
    return _lock(name, False)


def _lock(name: str, locked: bool):
    if not ActionForm().validate_on_submit():
        abort(400, "The form was incomplete.")
    if _refuse_self(name, "lock" if locked else "unlock"):
        return redirect(url_for("admins.index"))
    try:
        console_admins.set_locked_audited(context.connection(), context.schema(), name, locked,
                                          actor=context.actor(), source=context.source())
    except HmsError as exc:
        flash(f"Nothing was changed: {exc.message}", "error")
    else:
        flash(f"Console admin '{name}' locked: they cannot log in, and their sessions have ended." if locked
              else f"Console admin '{name}' unlocked.", "success")
    return redirect(url_for("admins.index"))


@bp.post("/<name>/reset")
def reset(name: str):
    if not ActionForm().validate_on_submit():
        abort(400, "The form was incomplete.")
    if _refuse_self(name, "reset the password of"):
        return redirect(url_for("admins.index"))
    if name not in {a.username for a in console_admins.list_admins(context.connection(), context.schema())}:
        abort(404, f"There is no console admin '{name}'.")
    password = passwords.generate()
    try:
        console_admins.create_audited(context.connection(), context.schema(), name, password, replace=True,
                                      actor=context.actor(), source=context.source())
    except HmsError as exc:
        flash(f"Nothing was changed: {exc.message}", "error")
        return redirect(url_for("admins.index"))
    flash(f"Console admin '{name}' has a new password; their sessions have ended.", "success")
    try:
        login = current_app.config.get("HMS_BACKUP_LOGIN") or admin_login(current_app.config["HMS_SETTINGS"])
        with session(login, database=None) as conn:
            elevation.enroll(conn, context.schema(), name, password)
    except HmsError as exc:
        flash(f"The new password was not enrolled, so '{name}' cannot grant or change admin and dba accounts "
              f"until `hms console create-admin {name} --reset` is run: {exc.message}", "error")
    token = once.keep(context.actor(), {"name": name, "password": password})
    return redirect(url_for("admins.shown", token=token))


@bp.get("/shown/<token>")
def shown(token: str):
    kept = once.take(context.actor(), token)
    return render_template("admins/shown.html", kept=kept)


@bp.route("/<name>/delete", methods=["GET", "POST"])
def delete(name: str):
    form = DeleteForm()
    if _refuse_self(name, "delete"):
        return redirect(url_for("admins.index"))
    if form.validate_on_submit():
        if not form.confirm.data:
            form.confirm.errors = ["Tick the box to confirm."]
            flash("Nothing was deleted: tick the box to confirm.", "error")
        else:
            try:
                console_admins.delete_audited(context.connection(), context.schema(), name, actor=context.actor(),
                                              source=context.source())
            except HmsError as exc:
                flash(f"Nothing was deleted: {exc.message}", "error")
            else:
                flash(f"Console admin '{name}' deleted; their sessions have ended.", "success")
            return redirect(url_for("admins.index"))
    return render_template("admins/delete.html", name=name, form=form)


def _refuse_self(name: str, verb: str) -> bool:
    if name != context.actor():
        return False
    flash(f"You cannot {verb} yourself here: another console admin can, or `hms console` on the server.", "error")
    return True
