"""`hms db`: apply, inspect and verify the SQL under sql/."""

from __future__ import annotations

import click

from hms.backup.in_progress import restore_marks
from hms.config import Settings
from hms.connection import session
from hms.databases import database_exists
from hms.install import install
from hms.login import admin_login
from hms.errors import MigrationError
from hms.migrations import Migrator, Step, verify_database

from .options import echo_json, json_option


@click.group()
def db() -> None:
    """Apply sql/ to the database and check the result.

    \b
    Example:
        hms db migrate && hms db verify
    """


@db.command("migrate")
@click.option("--dry-run", is_flag=True, help="Print what would run; change nothing.")
@click.option("--reapply", is_flag=True,
              help="Re-run every routine, trigger and role file, even unchanged ones (repairs hand-made drops).")
@click.option("--take-over-service-account", is_flag=True,
              help="Give the console's server-wide service account this HMS_HOME's password even though another "
                   "hms home owns it (that home's console and `hms users` stop working until it takes it back).")
@click.pass_obj
def migrate(settings: Settings, dry_run: bool, reapply: bool, take_over_service_account: bool) -> None:
    """Apply pending versioned files, then re-apply changed repeatable files.

    Creates the database when it does not exist. Re-running on an up-to-date
    database does nothing.

    \b
    Example:
        hms db migrate --dry-run
        hms db migrate
        hms db migrate --reapply    # after `hms db verify` reports a missing trigger
        hms db migrate --take-over-service-account   # this home now runs the console
    """
    def announce(step: Step) -> None:
        if not settings.quiet:
            click.echo(f"applying {step.sql_file.relpath} ({step.reason})")

    result = install(admin_login(settings), settings.home, dry_run=dry_run, reapply=reapply, on_step=announce,
                     take_over_service_account=take_over_service_account)
    applied = result.all_applied
    if dry_run:
        for step, _ in applied:
            click.echo(f"would apply {step.sql_file.relpath} ({step.reason})")
        click.echo(f"{len(applied)} file(s) would be applied to '{settings.database}'")
        return
    total = sum(ms for _, ms in applied)
    if applied:
        click.echo(f"applied {len(applied)} file(s) to '{settings.database}' in {total / 1000:.1f} s")
    else:
        click.echo(f"'{settings.database}' is up to date")


@db.command("status")
@json_option
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """List each SQL file: applied, pending, changed, failed or missing, with its checksum.

    \b
    Example:
        hms db status --json
    """
    login = admin_login(settings)
    _require_database(login, settings.database)
    states = Migrator(login).status()
    for mark in restore_marks(settings, settings.database):
        click.echo(f"warning: {mark.describe()}", err=True)
    if as_json:
        echo_json([s.as_dict() for s in states])
        return
    width = max((len(s.file) for s in states), default=4)
    for s in states:
        click.echo(f"{s.file:<{width}}  {s.kind:<10}  {s.state:<8}  {s.checksum[:12]}")


def _require_database(login, database: str) -> None:
    """Refuse, in one line, to list a database the server does not hold (a typo looks like a fresh install)."""
    with session(login, database=None) as conn:
        if not database_exists(conn, database):
            raise MigrationError(f"the database '{database}' does not exist on the server",
                                 "Check --database / HMS_DATABASE for a typo, or create it with `hms db migrate`")


@db.command("verify")
@click.pass_obj
def verify(settings: Settings) -> None:
    """Compare the live database with sql/; exit 1 listing every difference.

    Tables, columns, indexes, foreign keys, checks, routines, triggers, views and
    role grants are compared with a scratch build of sql/ on the same server.

    \b
    Example:
        hms db verify
    """
    problems = verify_database(admin_login(settings))
    if problems:
        for line in problems:
            click.echo(line)
        raise click.ClickException(f"'{settings.database}' differs from sql/ in {len(problems)} place(s). "
                                   "Run `hms db migrate` (`--reapply` restores routines, triggers and "
                                   "roles), or undo the hand-made changes listed above")
    click.echo(f"'{settings.database}' matches sql/")
