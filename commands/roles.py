"""`hms roles`: the eight hms roles, their privileges and members, read from the server."""

from __future__ import annotations

import click

from hms.config import Settings

from .options import account_manager, echo_json, json_option


@click.group()
def roles() -> None:
    """The eight hms roles: admin, analyst, developer, dba, auditor, qa, receptionist, doctor.

    \b
    Example:
        hms roles list
    """


@roles.command("list")
@json_option
@click.pass_obj
def list_roles(settings: Settings, as_json: bool) -> None:
    """List each role: its MySQL role, privileges (SHOW GRANTS) and member accounts.

    \b
    Example:
        hms roles list --json
    """
    with account_manager(settings) as manager:
        summaries = manager.roles()
    if as_json:
        echo_json([s.as_dict() for s in summaries])
        return
    for summary in summaries:
        role = summary.role
        click.echo(f"{role.name} ({role.mysql_role}, {role.title}): {role.description}")
        for privilege in summary.privileges:
            click.echo(f"    {privilege}")
        click.echo(f"    members: {', '.join(summary.members) or '-'}")
