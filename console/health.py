"""`/health/`: how the server is doing (the same figures as `hms server health`), and ending a
long statement or its session (KILL QUERY / KILL CONNECTION), confirmed and audited.

The figures are read with the administrative login, as DB Tools reads backups: the service
account may not see other sessions. Ending one goes through the service account and the
console schema's definer procedure `session_kill`, which refuses root, hms_* and system
sessions (hms/health.py).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from hms.backup.signing import KEY_NAME
from hms.errors import HmsError
from hms.health import duration_text, kill_session, read_health, size_text

from . import context
from .audit import audit

bp = Blueprint("health", __name__, url_prefix="/health")
MODES = {"query": "KILL QUERY", "connection": "KILL CONNECTION"}


@bp.get("/")
def index():
    settings = current_app.config["HMS_SETTINGS"]
    threshold = min(max(request.args.get("threshold", 10, type=int) or 0, 0), 86400)
    backup_dir = current_app.config.get("HMS_BACKUP_DIR") or settings.backup_dir
    try:
        state = read_health(context.admin_login(), backup_dir, home=settings.home if settings.embedded else None,
                            key_file=current_app.config.get("HMS_BACKUP_KEY_FILE") or settings.home / KEY_NAME,
                            long_seconds=threshold)
    except HmsError as exc:
        flash(exc.message, "error")
        state = None
    return render_template("health.html", state=state, threshold=threshold, size=size_text,
                           duration=duration_text)


@bp.post("/kill")
def kill():
    mode = request.form.get("mode", "")
    session_id = request.form.get("id", type=int)
    if mode not in MODES or session_id is None or session_id <= 0:
        flash("Choose a session and whether to end its statement or the whole session.", "error")
    elif request.form.get("confirm") != "yes":
        flash(f"Not ended: tick “I am sure” to end session {session_id}.", "error")
    else:
        try:
            # Whose it was comes from the server (session_kill returns it), never from the form.
            who = kill_session(context.connection(), current_app.config["HMS_DATABASE"], session_id,
                               query_only=mode == "query")
        except HmsError as exc:
            audit("session.kill", f"session {session_id}", "refused", f"{MODES[mode]}: {exc.what}")
            flash(exc.message, "error")
        else:
            audit("session.kill", f"session {session_id} ({who})", "success", MODES[mode])
            flash(f"{MODES[mode]} {session_id}: done ({who}).", "success")
    return redirect(url_for("health.index", threshold=request.form.get("threshold", 10, type=int)), code=303)
