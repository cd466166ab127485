"""`hms roles`: the six hms roles, their privileges and members, read from the server."""

from __future__ import annotations

import json

import click

from hms.config import Settings
from hms.accounts import cli_actor, open_manager


@click.group()
def roles() -> None:
    """The six hms roles: admin, analyst, developer, dba, auditor, qa.

    \b
    Example:
        hms roles list
    """


@roles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_roles(settings: Settings, as_json: bool) -> None:
    """List each role: its MySQL role, privileges (SHOW GRANTS) and member accounts.

    \b
    Example:
        hms roles list --json
    """
    with open_manager(settings, cli_actor(), "cli") as manager:
        summaries = manager.roles()
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in summaries], indent=2))
        return
    for summary in summaries:
        role = summary.role
        click.echo(f"{role.name} ({role.mysql_role}, {role.title}): {role.description}")
        for privilege in summary.privileges:
            click.echo(f"    {privilege}")
        click.echo(f"    members: {', '.join(summary.members) or '-'}")
