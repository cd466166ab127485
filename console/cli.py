"""`hms console`: serve the RBAC web console and create its admins."""

from __future__ import annotations

import os
import sys

import click

from hms import console_admins, elevation, passwords
from hms.config import Settings
from hms.connection import session
from hms.accounts import cli_actor
from hms.databases import console_schema
from hms.errors import HmsError
from hms.login import admin_login
from hms.service_account import service_login


@click.group()
def console() -> None:
    """The RBAC web console: only console admins can log in.

    \b
    Example:
        hms console create-admin alice
        HMS_SECRET_KEY=... hms console run --port 5000
    """


@console.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--dev", is_flag=True, help="Development mode: runs without HMS_SECRET_KEY (sessions end on restart).")
@click.pass_obj
def run(settings: Settings, host: str, port: int, dev: bool) -> None:
    """Serve the console; refuses to start without HMS_SECRET_KEY unless --dev.

    \b
    Example:
        export HMS_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_hex(32))')"
        hms console run --host 127.0.0.1 --port 5000
    """
    if dev:
        os.environ["HMS_CONSOLE_DEV"] = "1"
    from console import create_app

    app = create_app()
    service_login(settings)  # fail now, not at the first request, when the service account is missing
    click.echo(f"serving the console on http://{host}:{port} (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=False, use_reloader=False)


@console.command("create-admin")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help=f"Read the password from stdin instead of generating one. Policy: {passwords.POLICY}.")
@click.option("--reset", is_flag=True, help="When the admin exists, give it a new password instead of failing.")
@click.pass_obj
def create_admin(settings: Settings, username: str, password_stdin: bool, reset: bool) -> None:
    """Create a console admin; without --password-stdin a password is generated and printed once.

    The password is also enrolled, with the administrative login, as what the admin
    re-enters in the console to grant or change admin and dba accounts.

    \b
    Example:
        hms console create-admin alice
        printf '%s\\n' "$PW" | hms console create-admin bob --password-stdin
    """
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else passwords.generate()
    with session(service_login(settings), database=None) as conn:
        created = console_admins.create_audited(conn, console_schema(settings.database), username, password,
                                                replace=reset, actor=cli_actor(), source="cli")
    click.echo(f"console admin '{username}' {'created' if created else 'given a new password'}")
    try:
        with session(admin_login(settings), database=None) as conn:
            elevation.enroll(conn, console_schema(settings.database), username, password)
    except HmsError as exc:
        click.echo(f"Warning: the password was not enrolled, so '{username}' cannot grant or change admin and "
                   f"dba accounts: {exc.message}", err=True)
    if not password_stdin:
        click.echo(f"password (shown once, store it now): {password}")


@console.command("delete-admin")
@click.argument("username")
@click.pass_obj
def delete_admin(settings: Settings, username: str) -> None:
    """Delete a console admin; their open sessions end at their next request.

    \b
    Example:
        hms console delete-admin alice
    """
    with session(service_login(settings), database=None) as conn:
        console_admins.delete_audited(conn, console_schema(settings.database), username, actor=cli_actor(),
                                      source="cli")
    click.echo(f"console admin '{username}' deleted")
