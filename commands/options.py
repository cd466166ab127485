"""Options and helpers the command groups share, so each command says only what is its own."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Iterator

import click

from hms.accounts import AccountManager, cli_actor, open_manager
from hms.config import Settings
from hms.passwords import POLICY

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
host_option = click.option("--host", default="%", show_default=True, metavar="H",
                           help="Host part of the account: %, localhost, an IP or a host name.")
password_stdin_option = click.option(
    "--password-stdin", is_flag=True,
    help=f"Read the password from the first line of stdin instead of generating one. Policy: {POLICY}.")


def echo_json(data) -> None:
    """Print `data` as indented JSON."""
    click.echo(json.dumps(data, indent=2))


def read_password_stdin() -> str:
    """The first line of stdin, without its line ending; a usage error when stdin is empty."""
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("no password on stdin. Pipe it in, e.g. `printf '%s\\n' \"$PW\" | hms ...`")
    return line.rstrip("\r\n")


@contextlib.contextmanager
def account_manager(settings: Settings) -> Iterator[AccountManager]:
    """The account manager as the service account, audited as cli:<login name>."""
    with open_manager(settings, cli_actor(), "cli") as manager:
        yield manager


@contextlib.contextmanager
def progress_bar(settings: Settings, description: str, total: int | None = None):
    """Yield a callback advancing a tqdm bar of bytes (made on first use), or None when --quiet."""
    if settings.quiet:
        yield None
        return
    from tqdm import tqdm

    bars: list = []

    def advance(n: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                             desc=description, leave=False, dynamic_ncols=True))
        bars[0].update(n)

    try:
        yield advance
    finally:
        for bar in bars:
            bar.close()
