"""`hms audit`: check the console's tamper-evident audit log; summarise who read what."""

from __future__ import annotations

import click

from hms import audit_log
from hms.config import Settings
from hms.connection import session
from hms.databases import console_schema
from hms.login import admin_login

from .options import echo_json, json_option


@click.group()
def audit() -> None:
    """The audit trails: the console's hash-chained log, and the server's access log.

    \b
    Example:
        hms audit verify
    """


@audit.command("verify")
@json_option
@click.pass_obj
def verify(settings: Settings, as_json: bool) -> None:
    """Recompute the console audit log's hash chain; exit 1 naming the first broken entry.

    An entry edited, deleted or inserted out of order (even by a DBA) breaks the chain
    at that entry. Any login that can read the log can verify it (an Auditor's, via --url).
    Write the printed head down elsewhere: a later run whose chain no longer passes
    through it means the log was rewritten from there.

    \b
    Example:
        hms audit verify
    """
    with session(admin_login(settings), database=None) as conn:
        report = audit_log.verify(conn, console_schema(settings.database))
    if as_json:
        echo_json({"intact": report.intact, "checked": report.checked, "head_id": report.head_id,
                   "head_hash": report.head_hash, "broken_at": report.broken_at, "reason": report.reason})
    elif report.intact:
        click.echo(f"intact: {report.checked} entries, head entry {report.head_id} {report.head_hash}")
    else:
        click.echo(f"broken at entry {report.broken_at}: {report.reason} "
                   f"({report.checked} entries before it are intact)")
    if not report.intact:
        raise SystemExit(1)


@audit.command("access")
@click.option("--account", metavar="A", help="Only this account (user name).")
@click.option("--table", metavar="T", help="Only this table: NAME or DATABASE.NAME, e.g. patient.")
@click.option("--since", metavar="DATE", help="Only from this date (YYYY-MM-DD or 'YYYY-MM-DD HH:MM', server time).")
@json_option
@click.pass_obj
def access(settings: Settings, account: str | None, table: str | None, since: str | None, as_json: bool) -> None:
    """Who read which tables, when, and how many statements: the server's access audit.

    Read from MariaDB's server_audit files (the embedded server writes them to
    $HMS_HOME/audit/, rotated; logins and table reads and writes only, never a
    statement's text). Run it on the server's machine as the user that started it.

    \b
    Example:
        hms audit access --table patient --since 2024-05-01
        hms audit access --account alice --json
    """
    from hms import access_audit

    start = access_audit.parse_since(since) if since else None
    with session(admin_login(settings), database=None) as conn:
        files = access_audit.log_files(conn)
    events = list(access_audit.events(files, since=start))
    rows = access_audit.summarise(events, account=account, table=table, since=start)
    logins = access_audit.logins(events, account=account, since=start)
    if as_json:
        echo_json({"files": [str(f) for f in files], "access": [r.as_dict() for r in rows], "logins": logins})
        return
    if not rows:
        click.echo("no table reads or writes recorded for that choice")
    else:
        width = max(len(r.account) for r in rows)
        twidth = max(len(r.table) for r in rows)
        click.echo(f"{'account':<{width}}  {'table':<{twidth}}  {'reads':>6}  {'writes':>6}  first                last")
        for r in rows:
            click.echo(f"{r.account:<{width}}  {r.table:<{twidth}}  {r.reads:>6}  {r.writes:>6}  "
                       f"{r.first:%Y-%m-%d %H:%M:%S}  {r.last:%Y-%m-%d %H:%M:%S}")
    if logins:
        click.echo("logins: " + ", ".join(f"{user or '?'} {c['logins']} ok, {c['failed']} failed"
                                          for user, c in sorted(logins.items())))
