"""Accounts: list with search and paging, detail, add with a role, change role, reset
password, lock/unlock, delete with confirmation. All through hms.accounts, audited.

Granting admin or dba, and changing an account that holds one, needs the admin's own
console password re-entered in the same form (hms/elevation.py): every form carries the
field, and the account manager uses it only when the change needs it.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hms.account_listing import Listing
from hms.accounts import EXPIRE_DAYS_MAX, AccountError
from hms.elevation import Reentry, needs_elevation
from hms.errors import HmsError
from hms.passwords import POLICY
from hms.replication.routing import analyst_address
from hms.roles import ROLES

from . import context, once

bp = Blueprint("accounts", __name__, url_prefix="/accounts")
ROLE_CHOICES = [SelectChoice(role.name, f"{role.title} ({role.name})") for role in ROLES.values()]
REENTRY_LABEL = "Your console password (needed for Admin and DBA)"
DOCTOR_ID_LABEL = "Doctor id (the doctor this login is)"


class ReentryForm(FlaskForm):
    """The CSRF token and the acting admin's re-entered password: every account form has them,
    and lock and unlock have nothing else."""

    reentry = PasswordField(REENTRY_LABEL, validators=[Optional(), Length(max=200)])

    def reentry_of_admin(self) -> Reentry:
        """The re-entered password, as the logged-in admin's."""
        return Reentry(current_user.username, self.reentry.data or "")


class DoctorIdForm(ReentryForm):
    """A form with a role: the doctor role also needs the doctor the login is."""

    doctor_id = IntegerField(DOCTOR_ID_LABEL, validators=[Optional(), NumberRange(1)])

    def chosen_doctor(self) -> int | None:
        """The doctor id, for the doctor role only (a value left in the hidden field otherwise is ignored)."""
        return self.doctor_id.data if self.role.data == "doctor" else None


class NewAccountForm(DoctorIdForm):
    name = StringField("Account name", validators=[DataRequired(), Length(max=200)])
    host = StringField("Host", default="%", validators=[DataRequired(), Length(max=200)])
    # No role preselected: a slip must not make an admin. The form asks until one is chosen.
    role = SelectField("Role", choices=[SelectChoice("", "Choose a role…"), *ROLE_CHOICES], default="",
                       validate_choice=False, validators=[DataRequired(message="choose a role")])
    password = PasswordField("Password (leave empty to generate one)", validators=[Optional(), Length(max=200)])


class RoleForm(DoctorIdForm):
    role = SelectField("New role", choices=ROLE_CHOICES, validate_choice=False)


class PasswordForm(ReentryForm):
    password = PasswordField("New password (leave empty to generate one)", validators=[Optional(), Length(max=200)])
    generate = BooleanField("Yes, generate a new password: the current one stops working now")


class ExpiryForm(ReentryForm):
    days = IntegerField("Password expires every … days (empty: never)",
                        validators=[Optional(), NumberRange(1, EXPIRE_DAYS_MAX)])


class ConfirmForm(ReentryForm):
    confirm = BooleanField("Yes, drop this account")


@bp.get("/")
def index():
    search = request.args.get("q", "").strip()[:64]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    size = current_app.config["PAGE_SIZE"]
    found = context.account_manager().list(search)
    args = request.args
    listing = Listing.of(args.get("role", ""), args.get("state", ""), args.get("host", ""), args.get("sort", "name"),
                         args.get("order", "asc"), ROLES)
    accounts = listing.apply(found)
    pages = max(1, -(-len(accounts) // size))
    page = min(page, pages)
    return render_template("accounts/list.html", accounts=accounts[(page - 1) * size: page * size],
                           total=len(accounts), page=page, pages=pages, search=search, listing=listing,
                           roles=ROLES.values(), hosts=sorted({a.host for a in found}))


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = NewAccountForm()
    if form.validate_on_submit():
        name, host = form.name.data.strip(), form.host.data.strip()
        try:
            generated = context.account_manager().create(name, form.role.data, host=host,
                                                         password=form.password.data or None,
                                                         reentry=form.reentry_of_admin(),
                                                         doctor_id=form.chosen_doctor())
        except HmsError as exc:
            flash(f"The account was not created: {exc.message}", "error")
            _field_error(form, exc)
            return render_template("accounts/new.html", form=form, policy=POLICY), 400
        flash(f"Created '{name}'@'{host}' with role {form.role.data}.", "success")
        return _show_once(name, host, form.role.data, generated)
    if request.method == "POST":
        flash("The form was incomplete: " + "; ".join(
            f"{form[field].label.text}: {' '.join(errors)}" for field, errors in form.errors.items()), "error")
        return render_template("accounts/new.html", form=form, policy=POLICY), 400
    return render_template("accounts/new.html", form=form, policy=POLICY)


@bp.get("/<name>/<host>")
def detail(name: str, host: str):
    try:
        account = context.account_manager().show(name, host)
    except AccountError as exc:
        abort(404, exc.message)
    except HmsError as exc:
        abort(400, exc.message)
    settings = current_app.config["HMS_SETTINGS"]     # an analyst reads from a replica, as `hms users show` says
    reads = analyst_address(settings.home) if "analyst" in account.roles and not settings.url else None
    return render_template("accounts/detail.html", account=account, role_form=RoleForm(role=account.roles[0]),
                           password_form=PasswordForm(), action_form=ReentryForm(), policy=POLICY,
                           expiry_form=ExpiryForm(days=account.expire_days),
                           privileged=needs_elevation(account.roles), reads_from=reads)


@bp.post("/<name>/<host>/role")
def set_role(name: str, host: str):
    form = RoleForm()
    if form.validate_on_submit():
        try:
            changed = context.account_manager().set_role(name, form.role.data, host=host,
                                                         reentry=form.reentry_of_admin(),
                                                         doctor_id=form.chosen_doctor())
        except HmsError as exc:
            flash(f"Nothing was changed: {exc.message}", "error")
        else:
            flash(f"Role changed to {form.role.data}." if changed else
                  f"Nothing was changed: '{name}'@'{host}' already holds the role {form.role.data}.",
                  "success" if changed else "info")
    return redirect(url_for("accounts.detail", name=name, host=host))


@bp.post("/<name>/<host>/password")
def set_password(name: str, host: str):
    form = PasswordForm()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.detail", name=name, host=host))
    if not form.password.data and not form.generate.data:
        try:
            account = context.account_manager().show(name, host)
        except HmsError as exc:
            abort(404, exc.message)
        if not account.locked:
            # An empty field on a live account: ask before its current password stops working.
            return render_template("accounts/generate.html", name=name, host=host, form=form,
                                   privileged=needs_elevation(account.roles))
    try:
        generated = context.account_manager().set_password(name, host=host, password=form.password.data or None,
                                                           reentry=form.reentry_of_admin())
    except HmsError as exc:
        flash(f"The password was not changed: {exc.message}", "error")
        return redirect(url_for("accounts.detail", name=name, host=host))
    flash("Password changed.", "success")
    return _show_once(name, host, None, generated)


@bp.get("/shown/<token>")
def shown(token: str):
    """The page after a create or password change: the generated password, this once."""
    kept = once.take(context.actor(), token)
    if kept is None:
        return render_template("accounts/created.html", gone=True, name=None, host=None, role=None, password=None)
    role = ROLES[kept["role"]] if kept["role"] else None
    return render_template("accounts/created.html", gone=False, name=kept["name"], host=kept["host"], role=role,
                           password=kept["password"])


def _show_once(name: str, host: str, role: str | None, password: str | None):
    """Post/redirect/get: the outcome (and a generated password) on the next GET, once."""
    token = once.keep(context.actor(), {"name": name, "host": host, "role": role, "password": password})
    return redirect(url_for("accounts.shown", token=token))


def _field_error(form, exc: HmsError) -> None:
    """Show the library's refusal next to the field it is about, as well as in the banner."""
    words = exc.message.lower()
    field = next((f for f, keys in (("doctor_id", ("doctor",)), ("password", ("password",)), ("role", ("role",)), ("host", ("host",)),
                                    ("name", ("name", "account"))) if any(k in words for k in keys)), None)
    if field:
        form[field].errors = [*form[field].errors, exc.message]


@bp.post("/<name>/<host>/expiry")
def set_expiry(name: str, host: str):
    form = ExpiryForm()
    if not form.validate_on_submit():
        flash(f"Nothing was changed: give 1-{EXPIRE_DAYS_MAX} days, or leave the field empty for never.", "error")
    else:
        days = form.days.data
        _run(lambda s: s.set_password_expiry(name, host=host, days=days, reentry=form.reentry_of_admin()),
             f"The password now expires every {days} days." if days else "The password now never expires.")
    return redirect(url_for("accounts.detail", name=name, host=host))


@bp.post("/<name>/<host>/lock")
def lock(name: str, host: str):
    form = ReentryForm()
    if form.validate_on_submit():
        _run(lambda s: s.lock(name, host=host, reentry=form.reentry_of_admin()),
             "Account locked: it can no longer log in.")
    return redirect(url_for("accounts.detail", name=name, host=host))


@bp.post("/<name>/<host>/unlock")
def unlock(name: str, host: str):
    form = ReentryForm()
    if form.validate_on_submit():
        _run(lambda s: s.unlock(name, host=host, reentry=form.reentry_of_admin()), "Account unlocked.")
    return redirect(url_for("accounts.detail", name=name, host=host))


@bp.route("/<name>/<host>/delete", methods=["GET", "POST"])
def delete(name: str, host: str):
    form = ConfirmForm()
    if form.validate_on_submit():
        if not form.confirm.data:
            flash("Tick the box to confirm dropping the account.", "error")
        elif _run(lambda s: s.drop(name, host=host, reentry=form.reentry_of_admin()), f"Dropped '{name}'@'{host}'."):
            return redirect(url_for("accounts.index"))
    try:
        privileged = context.account_manager().needs_elevation(name, host)
    except HmsError as exc:
        abort(400, exc.message)
    return render_template("accounts/delete.html", name=name, host=host, form=form, privileged=privileged)


def _run(operation, success: str) -> bool:
    """Run an account operation; flash the outcome (the server's reason on failure)."""
    try:
        operation(context.account_manager())
    except HmsError as exc:
        flash(f"Nothing was changed: {exc.message}", "error")
        return False
    flash(success, "success")
    return True
