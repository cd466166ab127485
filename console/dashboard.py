"""The dashboard: summary cards for accounts, roles and privileges, each linking to its detail."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import context

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    manager = context.account_manager()
    accounts = manager.list()
    roles = manager.roles()
    privileges = sum(len(summary.privileges) for summary in roles)
    locked = sum(1 for account in accounts if account.locked)
    return render_template("dashboard.html", accounts=accounts, roles=roles, privileges=privileges,
                           locked=locked)


@bp.get("/roles")
def roles():
    return render_template("roles.html", roles=context.account_manager().roles())


@bp.get("/privileges")
def privileges():
    return render_template("privileges.html", roles=context.account_manager().roles())
