"""`hms console`: serve the RBAC web console and create its admins."""

from __future__ import annotations

import json
import os
import sys

import click

from hms import console_admins, elevation, passwords
from hms.config import Settings
from hms.connection import session
from hms.accounts import cli_actor
from hms.databases import console_schema
from hms.errors import ConfigError, HmsError
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
    server = _wsgi_server(app, host, port)  # binds now: a busy port fails before "serving"
    click.echo(f"serving the console on http://{host}:{port} with waitress (Ctrl+C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _wsgi_server(app, host: str, port: int):
    """A waitress server bound to host:port; ConfigError, in one line, when the port is taken or not ours."""
    import errno

    from waitress.server import create_server

    try:
        return create_server(app, host=host, port=port, threads=8, ident="hms-console")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            other = port + 1 if port < 65535 else port - 1
            raise ConfigError(f"port {port} on {host} is already in use",
                              f"Stop what listens there, or pick another port with --port {other}") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          "Check --host and --port (ports below 1024 need root)") from None


@console.command("list-admins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_admins(settings: Settings, as_json: bool) -> None:
    """List console admins: name, created, last login, locked.

    \b
    Example:
        hms console list-admins
        hms console list-admins --json
    """
    with session(service_login(settings), database=None) as conn:
        admins = console_admins.list_admins(conn, console_schema(settings.database))
    if as_json:
        click.echo(json.dumps([a.as_dict() for a in admins], indent=2))
        return
    if not admins:
        click.echo("no console admins; create one with `hms console create-admin NAME`")
        return
    width = max(len(a.username) for a in admins)
    click.echo(f"{'name':<{width}}  {'created':<19}  {'last login':<19}  state")
    for a in admins:
        row = a.as_dict()
        click.echo(f"{a.username:<{width}}  {row['created_at']:<19}  {row['last_login_at'] or 'never':<19}  "
                   f"{'locked since ' + row['locked_at'] if a.locked else 'active'}")


@console.command("lock-admin")
@click.argument("username")
@click.option("--unlock", is_flag=True, help="Unlock the admin instead.")
@click.pass_obj
def lock_admin(settings: Settings, username: str, unlock: bool) -> None:
    """Lock a console admin (no login; their sessions end at their next request), or --unlock.

    \b
    Example:
        hms console lock-admin alice
        hms console lock-admin alice --unlock
    """
    with session(service_login(settings), database=None) as conn:
        console_admins.set_locked_audited(conn, console_schema(settings.database), username, not unlock,
                                          actor=cli_actor(), source="cli")
    click.echo(f"console admin '{username}' {'unlocked' if unlock else 'locked'}")


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
