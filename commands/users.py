"""`hms users`: real MySQL accounts holding one hms role, through the account manager."""

from __future__ import annotations

import json
import sys

import click

from hms.config import Settings
from hms.passwords import POLICY
from hms.roles import ROLE_NAMES
from hms.accounts import cli_actor, open_manager

host_option = click.option("--host", default="%", show_default=True, metavar="H",
                           help="Host part of the account: %, localhost, an IP or a host name.")
password_stdin_option = click.option(
    "--password-stdin", is_flag=True,
    help=f"Read the password from the first line of stdin instead of generating one. Policy: {POLICY}.")


def _read_password() -> str:
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("no password on stdin. Pipe it in, e.g. `printf '%s\\n' \"$PW\" | hms ...`")
    return line.rstrip("\r\n")


@click.group()
def users() -> None:
    """List, create, change and drop MySQL accounts that hold an hms role.

    Only accounts holding one of the six hms roles are managed; root, system
    accounts and hms_* accounts are refused by the server-side procedures.

    \b
    Example:
        hms users create alice --role analyst
        hms users list
    """


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_users(settings: Settings, as_json: bool) -> None:
    """List hms-managed accounts: name, host, roles, locked.

    \b
    Example:
        hms users list --json
    """
    with open_manager(settings, cli_actor(), "cli") as manager:
        accounts = manager.list()
    if as_json:
        click.echo(json.dumps([a.as_dict() for a in accounts], indent=2))
        return
    if not accounts:
        click.echo("no hms-managed accounts (create one with `hms users create NAME --role ROLE`)")
        return
    width = max(len(f"{a.name}@{a.host}") for a in accounts)
    for a in accounts:
        click.echo(f"{a.name + '@' + a.host:<{width}}  {','.join(a.roles):<10}  {'locked' if a.locked else ''}")


@users.command("show")
@click.argument("name")
@host_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(settings: Settings, name: str, host: str, as_json: bool) -> None:
    """Show one account: roles, default roles, locked, and its grants as the server reports them.

    \b
    Example:
        hms users show alice --json
    """
    with open_manager(settings, cli_actor(), "cli") as manager:
        account = manager.show(name, host)
    if as_json:
        click.echo(json.dumps(account.as_dict(with_grants=True), indent=2))
        return
    click.echo(f"account:       '{account.name}'@'{account.host}'")
    click.echo(f"roles:         {', '.join(account.roles) or '-'}")
    click.echo(f"default roles: {', '.join(account.default_roles) or '-'}")
    click.echo(f"locked:        {'yes' if account.locked else 'no'}")
    click.echo("grants:")
    for grant in account.grants:
        click.echo(f"  {grant}")


@users.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES), help="The account's hms role.")
@host_option
@password_stdin_option
@click.pass_obj
def create(settings: Settings, name: str, role: str, host: str, password_stdin: bool) -> None:
    """Create a MySQL account holding ROLE as its default role.

    Without --password-stdin a strong password is generated and printed once.

    \b
    Example:
        hms users create alice --role analyst
        printf '%s\\n' "$PW" | hms users create bob --role qa --host localhost --password-stdin
    """
    password = _read_password() if password_stdin else None
    with open_manager(settings, cli_actor(), "cli") as manager:
        generated = manager.create(name, role, host=host, password=password)
    click.echo(f"created '{name}'@'{host}' with role {role}")
    if generated:
        click.echo(f"password (shown once, store it now): {generated}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLE_NAMES))
@host_option
@click.pass_obj
def set_role(settings: Settings, name: str, role: str, host: str) -> None:
    """Give the account ROLE instead of its current hms role.

    \b
    Example:
        hms users set-role alice developer
    """
    with open_manager(settings, cli_actor(), "cli") as manager:
        manager.set_role(name, role, host=host)
    click.echo(f"'{name}'@'{host}' now holds role {role}")


@users.command("set-password")
@click.argument("name")
@host_option
@password_stdin_option
@click.pass_obj
def set_password(settings: Settings, name: str, host: str, password_stdin: bool) -> None:
    """Set a new password; without --password-stdin one is generated and printed once.

    \b
    Example:
        hms users set-password alice
    """
    password = _read_password() if password_stdin else None
    with open_manager(settings, cli_actor(), "cli") as manager:
        generated = manager.set_password(name, host=host, password=password)
    click.echo(f"password of '{name}'@'{host}' changed")
    if generated:
        click.echo(f"password (shown once, store it now): {generated}")


def _simple(action: str, done: str, help_text: str):
    @users.command(action, help=help_text)
    @click.argument("name")
    @host_option
    @click.pass_obj
    def command(settings: Settings, name: str, host: str) -> None:
        with open_manager(settings, cli_actor(), "cli") as manager:
            getattr(manager, action)(name, host=host)
        click.echo(f"'{name}'@'{host}' {done}")
    return command


lock = _simple("lock", "locked", "Lock the account (ACCOUNT LOCK): it can no longer log in.\n\n"
               "\b\nExample:\n    hms users lock alice")
unlock = _simple("unlock", "unlocked", "Unlock the account (ACCOUNT UNLOCK).\n\n"
                 "\b\nExample:\n    hms users unlock alice")
drop = _simple("drop", "dropped", "Drop the account (DROP USER).\n\n"
               "\b\nExample:\n    hms users drop alice")
