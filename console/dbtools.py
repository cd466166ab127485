"""DB Tools: back up now, the list of backups, download, verify, and restore into a new
database with a typed confirmation. Everything goes through hms.backup, the same
service as `hms backup`; file names from the browser are only accepted when they
name a listed backup, so nothing outside the backup directory is ever read."""

from __future__ import annotations

import pymysql
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from hms.backup import create_backup, find_backup, list_backups, restore_backup, verify_backup
from hms.backup.in_progress import restores_on
from hms.backup.manifest import open_verified
from hms.backup.signing import KEY_NAME
from hms.identifiers import check_database_name
from hms.login import admin_login
from hms.errors import HmsError
from hms.service_account import service_login

from . import context
from .audit import audit
from .jobs import Job, Jobs

bp = Blueprint("dbtools", __name__, url_prefix="/db-tools")


class BackupForm(FlaskForm):
    """Only the CSRF token."""


class VerifyForm(FlaskForm):
    name = HiddenField(validators=[DataRequired(), Length(max=200)])


class RestoreForm(FlaskForm):
    name = HiddenField(validators=[DataRequired(), Length(max=200)])
    into = StringField("New database name", validators=[DataRequired(), Length(max=64)])
    confirm = StringField("Type the new database name again to confirm", validators=[DataRequired(), Length(max=64)])


def _backup_dir():
    return current_app.config.get("HMS_BACKUP_DIR") or current_app.config["HMS_SETTINGS"].backup_dir


def _key_file():
    """The key that signs manifests: HMS_BACKUP_KEY_FILE, else $HMS_HOME/backup.key."""
    return current_app.config.get("HMS_BACKUP_KEY_FILE") or current_app.config["HMS_SETTINGS"].home / KEY_NAME


def _backup_login():
    """The login that dumps and restores: HMS_BACKUP_LOGIN, else the tools' administrative login.

    Not the service account: a restore creates a database and its routines, which
    that account deliberately cannot do.
    """
    login = current_app.config.get("HMS_BACKUP_LOGIN")
    return login or admin_login(current_app.config["HMS_SETTINGS"])


def _jobs() -> Jobs:
    app = current_app._get_current_object()
    jobs = app.extensions.get("hms_backup_jobs")
    if jobs is None:
        login = app.config["HMS_SERVICE_LOGIN"]
        settings = app.config["HMS_SETTINGS"]
        jobs = app.extensions["hms_backup_jobs"] = Jobs(lambda: login or service_login(settings), context.schema())
    return jobs


def _listed(name: str | None, action: str):
    """Return the path of the listed backup `name`; refuse (audited, 404) anything else."""
    try:
        return find_backup(_backup_dir(), name or "", key_file=_key_file())
    except HmsError as exc:
        audit(action, (name or "")[:200], "refused", exc.message)
        abort(404, exc.message)


@bp.get("/")
def index():
    jobs = _jobs()
    running = jobs.running()
    response = current_app.make_response(render_template(
        "dbtools/index.html", backups=list_backups(_backup_dir(), key_file=_key_file()), running=running, jobs=jobs.recent(),
        restores=_restores(),
        backup_form=BackupForm(), verify_form=VerifyForm(), database=current_app.config["HMS_DATABASE"]))
    if running:
        response.headers["Refresh"] = "2"  # progress without scripts (the CSP allows none inline)
    return response


@bp.post("/backup")
def backup():
    if not BackupForm().validate_on_submit():
        abort(400, "The form was incomplete.")
    database = current_app.config["HMS_DATABASE"]
    login, directory, key_file = _backup_login().with_database(database), _backup_dir(), _key_file()

    def work(job: Job) -> str:
        made = create_backup(login, directory, progress=job.advance, key_file=key_file)
        job.target = made.name
        return f"backed up {database} to {made.name} ({made.manifest.bytes:,} bytes)"

    _start(Job("create", database, context.actor(), context.source()), work, f"Backing up {database}…")
    return redirect(url_for("dbtools.index"))


@bp.post("/verify")
def verify():
    form = VerifyForm()
    if not form.validate_on_submit():
        abort(400, "The form was incomplete.")
    path, login, key_file = _listed(form.name.data, "backup verify"), _backup_login(), _key_file()

    def work(job: Job) -> str:
        result = verify_backup(login, path, progress=job.advance, key_file=key_file)
        job.problems = result.problems
        if result.problems:
            return f"{path.name} differs in {len(result.problems)} place(s)"
        against = "its manifest and the live database" if result.source_compared else "its manifest"
        return f"{path.name} restores to data identical to {against}"

    _start(Job("verify", path.name, context.actor(), context.source(), total=path.stat().st_size), work,
           f"Verifying {path.name}…")
    return redirect(url_for("dbtools.index"))


@bp.route("/restore", methods=["GET", "POST"])
def restore():
    form = RestoreForm()
    name = form.name.data if request.method == "POST" else request.args.get("name")
    path = _listed(name, "backup restore")
    if request.method == "GET":
        form.name.data = path.name
        return render_template("dbtools/restore.html", form=form, backup=path.name)
    if not form.validate_on_submit():
        flash("The form was incomplete.", "error")
        return render_template("dbtools/restore.html", form=form, backup=path.name), 400
    into, confirm = form.into.data.strip(), form.confirm.data.strip()
    try:
        check_database_name(into)
    except HmsError as exc:
        audit("backup restore", into[:200], "refused", exc.message)
        flash(f"Nothing was restored: {exc.message}", "error")
        return render_template("dbtools/restore.html", form=form, backup=path.name), 400
    if confirm != into:
        audit("backup restore", into, "refused", "the confirmation did not match the database name")
        flash("Nothing was restored: type the new database name twice, exactly.", "error")
        return render_template("dbtools/restore.html", form=form, backup=path.name), 400
    login, key_file = _backup_login(), _key_file()

    def work(job: Job) -> str:
        # never --replace, --trust-unsigned or --allow-definer-objects from the browser
        restore_backup(login, path, into, progress=job.advance, key_file=key_file)
        return f"restored {path.name} into new database {into}"

    _start(Job("restore", f"{path.name} -> {into}", context.actor(), context.source(), total=path.stat().st_size), work,
           f"Restoring {path.name} into {into}…")
    return redirect(url_for("dbtools.index"))


@bp.get("/download/<name>")
def download(name: str):
    path = _listed(name, "backup download")
    try:
        handle = open_verified(path, key_file=_key_file())  # no links; the bytes sent are the bytes checked
    except HmsError as exc:
        audit("backup download", path.name, "refused", exc.message)
        abort(409, exc.message)
    audit("backup download", path.name, "success")
    return send_file(handle, as_attachment=True, download_name=path.name, mimetype="application/gzip")


def _restores() -> list:
    """Restores on the server that are running or were interrupted (none when the server cannot say)."""
    try:
        return restores_on(_backup_login())
    except (HmsError, pymysql.err.MySQLError):
        return []


def _start(job: Job, work, started: str) -> None:
    if _jobs().start(job, work):
        flash(started, "success")
    else:
        audit(f"backup {job.kind}", job.target, "refused", "another DB Tools job is running")
        flash("Another backup, verify or restore is running; wait for it to finish.", "error")
