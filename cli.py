"""`hms`: the command line of the Hospital Management System database.

A thin root group assembling the areas: the core groups in commands/, the seeder's
in seed/cli.py and the console's in console/cli.py. Each command is a few lines of
glue over library code in hms/ (or seed/, console/).
"""

from __future__ import annotations

import sys

import click
import pymysql

from commands import audit, backup, db, query, roles, server, users
from commands.cluster import cluster
from commands.replica import replica
from console.cli import console
from seed.cli import seed
from hms.config import Settings
from hms.cluster.errors import refusal_message
from hms.connection import server_message
from hms.errors import HmsError


class HmsGroup(click.Group):
    """Root group: turns the project's errors into one `Error:` line and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HmsError as exc:
            raise click.ClickException(refusal_message(exc) or exc.message) from None
        except pymysql.err.MySQLError as exc:
            raise click.ClickException(refusal_message(exc) or
                f"the server refused the request: {server_message(exc)}. "
                "Check the account's privileges, or run `hms db verify`") from None
        except KeyboardInterrupt:
            click.echo("Error: interrupted. Run the command again to finish (seeding: add --resume).",
                       err=True)
            sys.exit(130)


@click.group(cls=HmsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", envvar="HMS_DATABASE_URL", metavar="URL",
              help="SQLAlchemy URL of the server, e.g. mysql+pymysql://u:p@127.0.0.1:3306/hms "
                   "[env: HMS_DATABASE_URL; default: the embedded server in HMS_HOME]")
@click.option("--database", envvar="HMS_DATABASE", metavar="NAME",
              help="Database name, overriding the URL's [env: HMS_DATABASE; default: hms]")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.version_option(package_name="hms", prog_name="hms")
@click.pass_context
def cli(ctx: click.Context, url: str | None, database: str | None, quiet: bool) -> None:
    """hms: the Hospital Management System database, as code.

    \b
    Example:
        hms server start && hms db migrate && hms db verify
    """
    try:
        ctx.obj = Settings.from_env(url=url, database=database, quiet=quiet)
    except HmsError as exc:
        raise click.ClickException(exc.message) from None


# In the order `hms --help` lists them.
for group in (server, db, seed, query, users, roles, backup, audit, cluster, console):
    cli.add_command(group)
cli.add_command(replica)


def main() -> None:
    """Entry point of the `hms` console script."""
    cli(prog_name="hms")


if __name__ == "__main__":
    main()
