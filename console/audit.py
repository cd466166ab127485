"""The audit log page, and `audit()`: the one call every console feature uses to record an action."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from hms import audit_log

from . import context

bp = Blueprint("audit", __name__, url_prefix="/audit")
MAX_PAGE = 1_000_000


def audit(action: str, target: str | None, outcome: str, detail: str | None = None) -> None:
    """Record one console action by the current admin from the client's address. Never pass a password."""
    audit_log.record(context.connection(), context.schema(), actor=context.actor(), action=action, target=target,
                     outcome=outcome, detail=detail, source=context.source())


@bp.get("/")
def log():
    filters = {name: request.args.get(name, "").strip()[:100] for name in ("actor", "action", "outcome", "q")}
    if filters["outcome"] not in ("", *audit_log.OUTCOMES):
        filters["outcome"] = ""
    # A page past the end (or a number too big for LIMIT) shows the last page.
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    size = current_app.config["PAGE_SIZE"] * 2
    entries, total = _search(filters, size, page)
    pages = max(1, -(-total // size))
    if page > pages:
        page = pages
        entries, total = _search(filters, size, page)
    return render_template("audit.html", entries=entries, total=total, page=page, pages=pages,
                           filters=filters, outcomes=audit_log.OUTCOMES)


def _search(filters: dict[str, str], size: int, page: int):
    return audit_log.search(context.connection(), context.schema(), actor=filters["actor"],
                            action=filters["action"], outcome=filters["outcome"], text=filters["q"],
                            limit=size, offset=(page - 1) * size)
