"""DB Tools: back up now (logical, or physical full / incremental), the list of backups with
their kind, download, verify, restore into a new database with a typed confirmation, and
restore to a point in time (a backup rolled forward with the binary log). Everything goes
through hms.backup, the same service as `hms backup`; file names from the browser are only
accepted when they name a listed backup, so nothing outside the backup directory is ever read."""

from __future__ import annotations

from datetime import datetime

import pymysql
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from hms import audit_log
from hms.backup import create_backup, find_backup, list_backups, restore_backup, verify_backup
from hms.backup import BackupError, binlog
from hms.backup.in_progress import restores_on
from hms.backup.manifest import is_physical_path, open_verified
from hms.backup.physical import create_physical_backup
from hms.backup.physical_chain import open_chain
from hms.backup.physical_restore import restore_physical_into, verify_physical
from hms.backup.point_in_time import restore_until
from hms.backup.restore import target_in_use
from hms.backup.prepare import chain_bytes
from hms.backup.signing import KEY_NAME
from hms.connection import session
from hms.databases import database_exists
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


class PhysicalForm(FlaskForm):
    incremental = BooleanField("Incremental: only what changed since the newest physical backup")


class VerifyForm(FlaskForm):
    name = HiddenField(validators=[DataRequired(), Length(max=200)])


class RestoreForm(FlaskForm):
    name = HiddenField(validators=[DataRequired(), Length(max=200)])
    into = StringField("New database name", validators=[DataRequired(), Length(max=64)])
    confirm = StringField("Type the new database name again to confirm", validators=[DataRequired(), Length(max=64)])


class UntilForm(FlaskForm):
    name = SelectField("Backup to start from", validators=[DataRequired(), Length(max=200)], validate_choice=False)
    into = StringField("New database name", validators=[DataRequired(), Length(max=64)])
    confirm = StringField("Type the new database name again to confirm", validators=[DataRequired(), Length(max=64)])
    until = StringField("As it was at (server time)", validators=[Optional(), Length(max=32)])
    until_gtid = StringField("Or up to and including the transaction (GTID)", validators=[Optional(), Length(max=64)])


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
    database = current_app.config["HMS_DATABASE"]
    backups = list_backups(_backup_dir(), key_file=_key_file())
    has_physical = any(b.physical and b.signed and b.manifest.database == database for b in backups)
    verified = audit_log.latest_by_target(context.connection(), context.schema(), "backup verify")
    response = current_app.make_response(render_template(
        "dbtools/index.html", backups=backups, running=running, jobs=jobs.recent(), restores=_restores(),
        backup_form=BackupForm(), physical_form=PhysicalForm(), verify_form=VerifyForm(), kind=_kind,
        database=database, has_physical=has_physical, verified=verified, rows=_rows, duration=_duration))
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
        job.total, job.estimated = _dump_estimate(login), True
        made = create_backup(login, directory, progress=job.advance, key_file=key_file)
        job.target = made.name
        return f"backed up {database} to {made.name} ({made.manifest.bytes:,} bytes)"

    _start(Job("create", database, context.actor(), context.source()), work, f"Backing up {database}…")
    return redirect(url_for("dbtools.index"))


@bp.post("/backup-physical")
def backup_physical():
    form = PhysicalForm()
    if not form.validate_on_submit():
        abort(400, "The form was incomplete.")
    database, incremental = current_app.config["HMS_DATABASE"], bool(form.incremental.data)
    login, directory, key_file = _backup_login().with_database(database), _backup_dir(), _key_file()
    what = "incremental physical" if incremental else "full physical"

    def work(job: Job) -> str:
        job.begin("copying the server's files with mariadb-backup")
        made = create_physical_backup(login, directory, incremental=incremental, key_file=key_file)
        job.target = made.name
        on = f" on {made.manifest.parent}" if made.manifest.parent else ""
        return f"made a {what} backup of {database}{on}: {made.name} ({made.manifest.bytes:,} bytes)"

    _start(Job("physical create", database, context.actor(), context.source()), work,
           f"Making a {what} backup of {database}…")
    return redirect(url_for("dbtools.index"))


@bp.post("/verify")
def verify():
    form = VerifyForm()
    if not form.validate_on_submit():
        abort(400, "The form was incomplete.")
    path, login, key_file = _listed(form.name.data, "backup verify"), _backup_login(), _key_file()

    def work(job: Job) -> str:
        if is_physical_path(path):
            job.phase = "checking every file, preparing a copy and starting it as a scratch server"
            result = verify_physical(login, path, progress=job.advance, key_file=key_file)
        else:
            result = verify_backup(login, path, progress=job.advance, key_file=key_file)
        job.problems = result.problems
        if result.problems:
            return f"{path.name} differs in {len(result.problems)} place(s)"
        against = "its manifest and the live database" if result.source_compared else "its manifest"
        return f"{path.name} restores to data identical to {against}"

    _start(Job("verify", path.name, context.actor(), context.source(), total=_total(path, key_file)), work,
           f"Verifying {path.name}…")
    return redirect(url_for("dbtools.index"))


@bp.route("/restore", methods=["GET", "POST"])
def restore():
    form = RestoreForm()
    name = form.name.data if request.method == "POST" else request.args.get("name")
    path = _listed(name, "backup restore")
    if request.method == "GET":
        form.name.data = path.name
        return render_template("dbtools/restore.html", form=form, backup=path.name, physical=is_physical_path(path))
    if not form.validate_on_submit():
        flash("The form was incomplete.", "error")
        return render_template("dbtools/restore.html", form=form, backup=path.name), 400
    into, confirm = form.into.data.strip(), form.confirm.data.strip()
    try:
        check_database_name(into)
    except HmsError as exc:
        audit("backup restore", into[:200], "refused", exc.message)
        flash(f"Nothing was restored: {exc.message}", "error")
        form.into.errors = [exc.message]
        return render_template("dbtools/restore.html", form=form, backup=path.name), 400
    if confirm != into:
        audit("backup restore", into, "refused", "the confirmation did not match the database name")
        flash("Nothing was restored: type the new database name twice, exactly.", "error")
        form.confirm.errors = ["Type the same name as above."]
        return render_template("dbtools/restore.html", form=form, backup=path.name), 400
    login, key_file = _backup_login(), _key_file()
    try:
        with session(login, database=None) as conn:
            exists = target_in_use(conn, into)
    except HmsError as exc:
        flash(f"Nothing was restored: {exc.message}", "error")
        return render_template("dbtools/restore.html", form=form, backup=path.name), 503
    if exists:
        # Refused here, at once: the console only ever restores into a new database.
        message = (f"a database called '{into}' already exists and is not empty, and the console never overwrites one. "
                   "Type a name that is not in use; compare the two databases, then switch over when ready")
        audit("backup restore", into, "refused", message)
        flash(f"Nothing was restored: {message}.", "error")
        form.into.errors = [f"'{into}' already exists: choose a new name."]
        return render_template("dbtools/restore.html", form=form, backup=path.name), 400

    def work(job: Job) -> str:
        # never --replace, --trust-unsigned or --allow-definer-objects from the browser
        if is_physical_path(path):
            job.phase = "checking and preparing a copy, then copying its database"
            restore_physical_into(login, path, into, progress=job.advance, key_file=key_file)
        else:
            restore_backup(login, path, into, progress=job.advance, key_file=key_file)
        return f"restored {path.name} into new database {into}"

    _start(Job("restore", f"{path.name} -> {into}", context.actor(), context.source(), total=_total(path, key_file)),
           work, f"Restoring {path.name} into {into}…")
    return redirect(url_for("dbtools.index"))


UNTIL = "backup point-in-time restore"


@bp.route("/restore-until", methods=["GET", "POST"])
def restore_until_form():
    """A backup restored into a new database and rolled forward to a moment or a GTID."""
    form = UntilForm()
    candidates = [b for b in list_backups(_backup_dir(), key_file=_key_file())
                  if b.signed and b.intact and b.manifest.binlog]
    form.name.choices = [(b.name, f"{b.name} ({_kind(b)}, made {b.manifest.created_at[:19].replace('T', ' ')} UTC)")
                         for b in candidates]
    clock = _server_clock()

    def refuse(message: str, target: str, field: str | None = None):
        audit(UNTIL, target[:200], "refused", message)
        flash(f"Nothing was restored: {message}", "error")
        if field:
            form[field].errors = [*form[field].errors, message[:1].upper() + message[1:]]
        return render_template("dbtools/restore_until.html", form=form, clock=clock, backups=candidates), 400

    if request.method == "GET":
        if request.args.get("name") in {b.name for b in candidates}:
            form.name.data = request.args["name"]
        return render_template("dbtools/restore_until.html", form=form, clock=clock, backups=candidates)
    if not form.validate_on_submit():
        return refuse("the form was incomplete. Fill in every field, then submit it again.", form.name.data or "")
    path = _listed(form.name.data, UNTIL)
    backup = next((b for b in candidates if b.path == path), None)
    if backup is None:
        return refuse(f"{path.name} records no binary log position, or no longer matches its checksum. "
                      "Pick another backup.", path.name)
    into, confirm = form.into.data.strip(), form.confirm.data.strip()
    try:
        check_database_name(into)
    except HmsError as exc:
        return refuse(exc.message, into, "into")
    if confirm != into:
        return refuse("the two database names differ. Type the new database name twice, exactly.", into, "confirm")
    moment, gtid = (form.until.data or "").strip(), (form.until_gtid.data or "").strip()
    if bool(moment) == bool(gtid):
        return refuse("give either a moment or a GTID to restore to, not both and not neither.", into, "until")
    login, key_file, directory = _backup_login(), _key_file(), _backup_dir()
    try:
        if gtid:
            binlog.parse_gtid(gtid)
        else:
            moment = _moment(moment)
        with session(login, database=None) as conn:
            if database_exists(conn, into):
                return refuse(f"a database called '{into}' already exists. "
                              "A point-in-time restore makes a new database: type a new name.", into, "into")
            if moment:
                made = int(datetime.fromisoformat(backup.manifest.created_at).timestamp())
                if binlog.server_epoch(conn, moment) < made:
                    return refuse(f"{moment} is before {backup.name} was made. "
                                  "Pick a later moment, or an older backup.", into, "until")
    except HmsError as exc:
        return refuse(exc.message, into)
    goal = f"as of {moment} (server time)" if moment else f"up to transaction {gtid}"

    def work(job: Job) -> str:
        job.begin("restoring the backup", _total(path, key_file))

        def planned(plan):
            def count(n: int) -> None:
                if not job.phase.startswith("rolling forward"):
                    job.begin(f"rolling forward {plan.transactions:,} transaction(s)", plan.groups or None)
                job.advance(n)
            return count

        result = restore_until(login, path, into, until=moment or None, until_gtid=gtid or None,
                               backup_dir=directory, key_file=key_file, progress=job.advance, on_planned=planned)
        plan = result.plan
        last = f", the last {plan.last_gtid}" if plan.last_gtid else ""
        return (f"restored {path.name} into new database {into} {goal}: rolled forward "
                f"{plan.transactions:,} transaction(s){last}, up to {plan.reason}")

    _start(Job("point-in-time restore", f"{path.name} -> {into}", context.actor(), context.source()), work,
           f"Restoring {path.name} into {into} {goal}…")
    return redirect(url_for("dbtools.index"))


@bp.get("/download/<name>")
def download(name: str):
    path = _listed(name, "backup download")
    if is_physical_path(path):
        audit("backup download", path.name, "refused", "a physical backup is a directory")
        abort(409, "A physical backup is a directory of the server's files: copy it from the backup directory.")
    try:
        handle = open_verified(path, key_file=_key_file())  # no links; the bytes sent are the bytes checked
    except HmsError as exc:
        audit("backup download", path.name, "refused", exc.message)
        abort(409, exc.message)
    audit("backup download", path.name, "success")
    return send_file(handle, as_attachment=True, download_name=path.name, mimetype="application/gzip")


def _dump_estimate(login) -> int | None:
    """About how many bytes a dump of the database writes: its tables' data size (an estimate)."""
    try:
        with session(login, database=None) as conn, conn.cursor() as cur:
            cur.execute("SELECT SUM(DATA_LENGTH) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                        (login.database,))
            total = cur.fetchone()[0]
    except (HmsError, pymysql.err.MySQLError):
        return None
    return int(total) if total else None


BOOKKEEPING_PREFIX = "hms_"  # hms_schema_history, hms_seed_chunk, hms_seed_log: hms's own records, not the hospital's


def _rows(b) -> tuple[int, int]:
    """(the hospital's rows, hms's bookkeeping rows) a backup's manifest counts."""
    tables = b.manifest.tables or {}
    bookkeeping = sum(n for t, n in tables.items() if t.startswith(BOOKKEEPING_PREFIX))
    return sum(tables.values()) - bookkeeping, bookkeeping


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    return f"about {seconds} s left" if seconds < 90 else f"about {round(seconds / 60)} min left"


def _restores() -> list:
    """Restores on the server that are running or were interrupted (none when the server cannot say)."""
    try:
        return restores_on(_backup_login())
    except (HmsError, pymysql.err.MySQLError):
        return []


def _kind(b) -> str:
    """'logical', 'physical full' or 'physical incremental on <parent>'."""
    if not b.physical:
        return "logical"
    chain = b.manifest.chain or {}
    on = f" on {chain['parent']}" if chain.get("parent") else ""
    return f"physical {chain.get('type', '?')}{on}"


def _total(path, key_file) -> int | None:
    """The bytes a verify or restore of `path` reads (a physical backup: its whole chain's), for the progress bar."""
    if not is_physical_path(path):
        return path.stat().st_size
    try:
        return chain_bytes(open_chain(path, key_file=key_file)) or None
    except HmsError:
        return None  # the job itself says what is wrong with the chain


def _moment(text: str) -> str:
    """A datetime-local value ("YYYY-MM-DDTHH:MM[:SS]") as "YYYY-MM-DD HH:MM:SS"; HmsError when it is not one."""
    value = text.replace("T", " ", 1)
    if len(value) == 16:
        value += ":00"
    try:
        datetime.strptime(value, binlog.UNTIL_FORMAT)
    except ValueError:
        raise BackupError(f"'{text[:40]}' is not a date and time", "Pick one with the date and time field") from None
    return value


def _server_clock() -> dict | None:
    """The database server's time zone and clock, which the moment is read in (None when it does not answer)."""
    try:
        with session(_backup_login(), database=None) as conn, conn.cursor() as cur:
            cur.execute("SELECT @@system_time_zone, @@time_zone, DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s')")
            system, zone, now = cur.fetchone()
    except (HmsError, pymysql.err.MySQLError):
        return None
    return {"zone": system if zone == "SYSTEM" else zone, "now": now}


def _start(job: Job, work, started: str) -> None:
    if _jobs().start(job, work):
        flash(started, "success")
    else:
        audit(f"backup {job.kind}", job.target, "refused", "another DB Tools job is running")
        flash("Another backup, verify or restore is running; wait for it to finish.", "error")
