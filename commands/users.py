"""`hms users`: real MySQL accounts holding one hms role, through the account manager."""

from __future__ import annotations

import click

from hms.accounts import EXPIRE_DAYS_MAX
from hms.config import Settings
from hms.replication.routing import analyst_address
from hms.roles import ROLE_NAMES

from .options import (
    account_manager,
    echo_json,
    host_option,
    json_option,
    password_stdin_option,
    read_password_stdin,
)


@click.group()
def users() -> None:
    """List, create, change and drop MySQL accounts that hold an hms role.

    Only accounts holding one of the eight hms roles are managed; root, system
    accounts and hms_* accounts are refused by the server-side procedures.

    \b
    Example:
        hms users create alice --role analyst
        hms users list
    """


@users.command("list")
@json_option
@click.pass_obj
def list_users(settings: Settings, as_json: bool) -> None:
    """List hms-managed accounts: name, host, roles, locked.

    \b
    Example:
        hms users list --json
    """
    with account_manager(settings) as manager:
        accounts = manager.list()
    if as_json:
        echo_json([a.as_dict() for a in accounts])
        return
    if not accounts:
        click.echo("no hms-managed accounts (create one with `hms users create NAME --role ROLE`)")
        return
    width = max(len(f"{a.name}@{a.host}") for a in accounts)
    for a in accounts:
        flags = " ".join(flag for flag, on in (("locked", a.locked), ("password-expired", a.password_expired)) if on)
        click.echo(f"{a.name + '@' + a.host:<{width}}  {','.join(a.roles):<10}  {flags}".rstrip())


@users.command("show")
@click.argument("name")
@host_option
@json_option
@click.pass_obj
def show(settings: Settings, name: str, host: str, as_json: bool) -> None:
    """Show one account: roles, default roles, locked, and its grants as the server reports them.

    \b
    Example:
        hms users show alice --json
    """
    with account_manager(settings) as manager:
        account = manager.show(name, host)
    reads = analyst_address(settings.home) if "analyst" in account.roles and not settings.url else None
    if as_json:
        echo_json({**account.as_dict(with_grants=True), **({"read_from": reads} if reads else {})})
        return
    click.echo(f"account:       '{account.name}'@'{account.host}'")
    click.echo(f"roles:         {', '.join(account.roles) or '-'}")
    click.echo(f"default roles: {', '.join(account.default_roles) or '-'}")
    click.echo(f"locked:        {'yes' if account.locked else 'no'}")
    click.echo(f"password:      {password_expiry_text(account)}")
    if reads:
        click.echo(f"reads from:    {reads}")
    click.echo("grants:")
    for grant in account.grants:
        click.echo(f"  {grant}")


def password_expiry_text(account) -> str:
    """How `hms users show` words the password's expiry."""
    text = f"expires every {account.expire_days} days" if account.expire_days else "never expires"
    if account.password_changed:
        text += f", set {account.password_changed}"
    if account.password_expired:
        text += "; EXPIRED: the account may only set a new password (`hms users set-password`)"
    return text


EXPIRE_DAYS = click.IntRange(1, EXPIRE_DAYS_MAX)


@users.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES), help="The account's hms role.")
@click.option("--doctor-id", type=int, default=None, help="For --role doctor: the doctor this login is.")
@host_option
@password_stdin_option
@click.option("--expire-days", type=EXPIRE_DAYS, metavar="N",
              help="The password must be changed every N days (PASSWORD EXPIRE INTERVAL) [default: never].")
@click.pass_obj
def create(settings: Settings, name: str, role: str, host: str, password_stdin: bool,
           expire_days: int | None, doctor_id: int | None) -> None:
    """Create a MySQL account holding ROLE as its default role.

    Without --password-stdin a strong password is generated and printed once.

    \b
    Example:
        hms users create alice --role analyst --expire-days 90
        printf '%s\\n' "$PW" | hms users create bob --role qa --host localhost --password-stdin
        hms users create drhouse --role doctor --doctor-id 17
    """
    password = read_password_stdin() if password_stdin else None
    with account_manager(settings) as manager:
        generated = manager.create(name, role, host=host, password=password, expire_days=expire_days,
                                   doctor_id=doctor_id)
    click.echo(f"created '{name}'@'{host}' with role {role}"
               + (f", password expires every {expire_days} days" if expire_days else ""))
    if generated:
        click.echo(f"password (shown once, store it now): {generated}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLE_NAMES))
@click.option("--doctor-id", type=int, default=None, help="For the doctor role: the doctor this login is.")
@host_option
@click.pass_obj
def set_role(settings: Settings, name: str, role: str, host: str, doctor_id: int | None) -> None:
    """Give the account ROLE instead of its current hms role.

    \b
    Example:
        hms users set-role alice developer
        hms users set-role drwilson doctor --doctor-id 18
    """
    with account_manager(settings) as manager:
        changed = manager.set_role(name, role, host=host, doctor_id=doctor_id)
    click.echo(f"'{name}'@'{host}' {'now holds' if changed else 'already holds'} role {role}"
               + (f" as doctor {doctor_id}" if doctor_id is not None else ""))


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
    password = read_password_stdin() if password_stdin else None
    with account_manager(settings) as manager:
        generated = manager.set_password(name, host=host, password=password)
    click.echo(f"password of '{name}'@'{host}' changed")
    if generated:
        click.echo(f"password (shown once, store it now): {generated}")


@users.command("expire")
@click.argument("name")
@host_option
@click.option("--days", type=EXPIRE_DAYS, metavar="N", help="The password must be changed every N days.")
@click.option("--never", is_flag=True, help="The password never expires.")
@click.pass_obj
def expire(settings: Settings, name: str, host: str, days: int | None, never: bool) -> None:
    """Set how long the account's password lasts (PASSWORD EXPIRE INTERVAL N DAY), or --never.

    Counted from when the password was last set; once it has passed the account may log
    in only to set a new password.

    \b
    Example:
        hms users expire alice --days 90
        hms users expire alice --never
    """
    if (days is None) == (not never):
        raise click.UsageError("give exactly one of --days N and --never")
    with account_manager(settings) as manager:
        manager.set_password_expiry(name, host=host, days=days)
    click.echo(f"password of '{name}'@'{host}' " + (f"expires every {days} days" if days else "never expires"))


def _simple(action: str, done: str, help_text: str):
    @users.command(action, help=help_text)
    @click.argument("name")
    @host_option
    @click.pass_obj
    def command(settings: Settings, name: str, host: str) -> None:
        with account_manager(settings) as manager:
            getattr(manager, action)(name, host=host)
        click.echo(f"'{name}'@'{host}' {done}")
    return command


lock = _simple("lock", "locked", "Lock the account (ACCOUNT LOCK): it can no longer log in.\n\n"
               "\b\nExample:\n    hms users lock alice")
unlock = _simple("unlock", "unlocked", "Unlock the account (ACCOUNT UNLOCK).\n\n"
                 "\b\nExample:\n    hms users unlock alice")
drop = _simple("drop", "dropped", "Drop the account (DROP USER).\n\n"
               "\b\nExample:\n    hms users drop alice")


@users.command("cert")
@click.argument("name")
@host_option
@click.option("--require", is_flag=True,
              help="Also make the account present a certificate from this CA at every login (REQUIRE X509).")
@click.option("--out", type=click.Path(file_okay=False), metavar="DIR",
              help="Where to write NAME.pem and NAME-key.pem (0600) [default: $HMS_HOME/tls/clients]")
@click.pass_obj
def cert(settings: Settings, name: str, host: str, require: bool, out: str | None) -> None:
    """Issue a TLS client certificate for NAME, signed by the embedded server's CA.

    \b
    Example:
        hms users cert alice --require
        mariadb -u alice -p --ssl-ca=ca.pem --ssl-cert=alice.pem --ssl-key=alice-key.pem --ssl-verify-server-cert
    """
    from pathlib import Path

    from hms import tls

    if require:
        with account_manager(settings) as manager:
            tls.require_client_certificate(manager, name, host)
    certificate, key = tls.issue_client(settings.home, name, Path(out) if out else None)
    click.echo(f"certificate: {certificate}")
    click.echo(f"key (0600):  {key}")
    if require:
        click.echo(f"'{name}'@'{host}' must now present a certificate from this CA (REQUIRE X509)")
