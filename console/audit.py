"""The audit log page, and `audit()`: the one call every console feature uses to record an action."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from hms import access_audit, audit_log
from hms.errors import HmsError

from . import context

bp = Blueprint("audit", __name__, url_prefix="/audit")
MAX_PAGE = 1_000_000
ACCESS_DAYS = 7
ACCESS_ROWS = 200
ACCESS_TAIL_BYTES = 32 << 20  # a page view reads at most the newest 32 MiB; `hms audit access` reads all


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
    access, access_error = _access(request.args.get("access_table", "").strip()[:130])
    return render_template("audit.html", entries=entries, total=total, page=page, pages=pages,
                           filters=filters, outcomes=audit_log.OUTCOMES, access=access,
                           access_error=access_error, access_days=ACCESS_DAYS,
                           actions=audit_log.actions(context.connection(), context.schema()))


def _access(table: str):
    """The server's access audit of the last ACCESS_DAYS days (hms audit access), or why not."""
    from datetime import datetime, timedelta

    since = datetime.now() - timedelta(days=ACCESS_DAYS)
    try:
        files = access_audit.log_files(context.connection())
        rows = access_audit.summarise(access_audit.events(files, since=since, tail_bytes=ACCESS_TAIL_BYTES),
                                      table=table or None, since=since)
    except HmsError as exc:
        return [], exc.message
    return rows[:ACCESS_ROWS], None


@bp.post("/verify")
def verify():
    """Recompute the hash chain (as `hms audit verify` does); say where it first breaks."""
    report = audit_log.verify(context.connection(), context.schema())
    if report.intact:
        flash(f"The audit log is intact: {report.checked} entries chained up to entry {report.head_id} "
              f"({report.head_hash[:16]}…).", "success")
        audit("audit-verify", f"entry {report.head_id}", "success", f"{report.checked} entries intact")
    else:
        flash(f"The audit log is broken at entry {report.broken_at}: {report.reason}.", "error")
        audit("audit-verify", f"entry {report.broken_at}", "failure", report.reason)
    return redirect(url_for("audit.log"))


def _search(filters: dict[str, str], size: int, page: int):
    return audit_log.search(context.connection(), context.schema(), actor=filters["actor"],
                            action=filters["action"], outcome=filters["outcome"], text=filters["q"],
                            limit=size, offset=(page - 1) * size)
