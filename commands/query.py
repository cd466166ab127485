"""`hms query`: run an analyst query from sql/queries/ and stream its rows."""

from __future__ import annotations

import sys

import click

from hms.config import Settings
from hms.formats import FORMATS, write_rows
from hms.login import admin_login
from hms.queries import get_query, list_queries, stream
from hms.replication.routing import read_replica


@click.command("query")
@click.argument("name", required=False)
@click.option("--list", "show_list", is_flag=True, help="List the query names and what each answers.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Return at most N rows.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Output format.")
@click.option("--primary", "on_primary", is_flag=True,
              help="Read from the primary even when a healthy replica exists.")
@click.pass_obj
def query(settings: Settings, name: str | None, show_list: bool, limit: int | None, fmt: str,
          on_primary: bool) -> None:
    """Run the analyst query NAME from sql/queries/ and print its rows.

    Rows are streamed from the server as they come, so a result of millions of
    rows never sits in memory; --limit stops the server early. Run it with an
    analyst's account through --url to see exactly what the analyst sees.

    On the embedded server with replicas, the query reads from the least-lagged
    healthy replica (at most HMS_REPLICA_MAX_LAG seconds behind, default 30), which
    keeps reports off the primary; --primary reads from the primary.

    \b
    Example:
        hms query --list
        hms query frequent_patients --limit 20
        hms query total_billing_per_patient --format csv > billing.csv
        hms query appointments_summary --primary --limit 10
    """
    if show_list:
        queries = list_queries()
        width = max(len(q.name) for q in queries)
        for q in queries:
            click.echo(f"{q.name:<{width}}  {q.summary}")
        return
    if not name:
        raise click.UsageError("give a query NAME, or --list to see them")
    named = get_query(name)
    sql, args = named.limited(limit)
    login = admin_login(settings)
    target = None if on_primary or settings.url else read_replica(settings.home)
    if target is not None:
        login = target.login.with_database(settings.database)
        if not settings.quiet:
            click.echo(f"(reading from replica '{target.name}', {target.state.lag_seconds} s behind; "
                       "--primary reads from the primary)", err=True)
    out = sys.stdout
    try:
        with stream(login, sql, args) as (columns, rows):
            count = write_rows(fmt, columns, rows, out.write)
        out.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as cat would.
        sys.stderr.close()
        sys.exit(0)
    if fmt == "table" and not settings.quiet:
        click.echo(f"({count} row{'s' if count != 1 else ''})", err=True)
