"""The dashboard: the hospital's figures as charts (from the summary tables, hms/dashboard.py),
then summary cards for accounts, roles and privileges, each linking to its detail."""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, flash, render_template

from hms import dashboard as hospital
from hms import privilege_matrix
from hms.errors import HmsError

from . import charts, context

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    manager = context.account_manager()
    roles = manager.roles()
    accounts = manager.list()
    privileges = sum(len(summary.privileges) for summary in roles)
    locked = sum(1 for account in accounts if account.locked)
    return render_template("dashboard.html", accounts=accounts, roles=roles, privileges=privileges,
                           locked=locked, hospital=_hospital())


_refreshing = threading.Lock()


def _refresh_in_background() -> None:
    """Rebuild the dashboard's summaries on a thread (one at a time), as the administrative login."""
    if not _refreshing.acquire(blocking=False):
        return
    login, logger = context.admin_login(), current_app.logger

    def run() -> None:
        try:
            hospital.rebuild(login)
        except HmsError as exc:
            logger.warning("the dashboard summaries could not be refreshed: %s", exc.message)
        finally:
            _refreshing.release()
    threading.Thread(target=run, name="hms-dashboard-refresh", daemon=True).start()


def _hospital() -> dict | None:
    """The hospital's figures and their charts; None (with a flashed reason) when they cannot be read."""
    try:
        with context.admin_connection() as conn:
            if hospital.refresh_due(conn):
                _refresh_in_background()
            found = hospital.figures(conn)
            as_of = hospital.refreshed_at(conn)
    except HmsError as exc:
        flash(f"The hospital figures are not available: {exc.message}", "error")
        return None
    weeks = [(week.strftime("%d %b"), n) for week, n in found.visits_per_week]
    months = [(month.strftime("%b"), total) for month, total in found.revenue_per_month]
    return {
        "figures": found,
        "as_of": as_of,
        "visits": charts.columns(weeks, charts.count, label_every=4),
        "revenue_months": charts.columns(months, charts.money, label_every=2),
        "revenue_departments": charts.ranking(found.revenue_per_department, charts.money),
        "departments": charts.ranking(found.busiest_departments, charts.count),
        "doctors": charts.ranking([(f"{name} ({department})", n) for name, department, n in found.busiest_doctors],
                                  charts.count),
        "rooms": charts.ranking([(kind, occupied) for kind, occupied, _ in found.rooms], charts.count),
    }


@bp.get("/roles")
def roles():
    return render_template("roles.html", roles=context.account_manager().roles())


@bp.get("/privileges")
def privileges():
    roles = context.account_manager().roles()
    return render_template("privileges.html", roles=roles, matrix=privilege_matrix.build(roles))
