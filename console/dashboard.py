"""The dashboard: summary cards for accounts, roles and privileges, each linking to its detail."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import db

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    service = db.account_service()
    accounts = service.list()
    roles = service.roles()
    privileges = sum(len(summary.privileges) for summary in roles)
    locked = sum(1 for account in accounts if account.locked)
    return render_template("dashboard.html", accounts=accounts, roles=roles, privileges=privileges,
                           locked=locked)


@bp.get("/roles")
def roles():
    return render_template("roles.html", roles=db.account_service().roles())


@bp.get("/privileges")
def privileges():
    return render_template("privileges.html", roles=db.account_service().roles())
