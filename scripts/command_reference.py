"""Write docs/commands.md: every `hms` command with its usage and one-line summary, from the CLI itself.

    python scripts/command_reference.py           # rewrite docs/commands.md
    python scripts/command_reference.py --check   # exit 1 when docs/commands.md is out of date

tests/test_command_reference.py runs the check, so the page cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGE = ROOT / "docs" / "commands.md"

HEADER = """# Every `hms` command

Generated from the command line itself by `python scripts/command_reference.py`; a test fails
when this page and the code disagree. `hms COMMAND --help` gives each command's options in
full, with an example. The commands that scripts may rely on, and their JSON keys, are the
project's contract; the ones marked *(beyond the contract)* were added since and may still change.

"""


# The commands ../shared/spec/contract.md lists (first and second version).
CONTRACT = {
    "server start", "server stop", "server status", "server health", "server ca", "server rotate-key",
    "db migrate", "db status", "db verify", "seed", "seed verify", "roles list",
    "users list", "users show", "users create", "users set-role", "users set-password", "users lock",
    "users unlock", "users drop", "users cert",
    "backup create", "backup list", "backup verify", "backup restore", "backup prune",
    "replica add", "replica list", "replica status", "replica promote", "replica remove", "replica check",
    "cluster start", "cluster status", "cluster restart-node", "cluster stop",
    "audit access", "audit verify",
    "console run", "console create-admin", "console list-admins",
}


def in_contract(path: str) -> bool:
    """Whether `hms ...` is one of the contract's commands (`seed` is a group with a default run)."""
    return path.removeprefix("hms ") in CONTRACT


def _commands(group: click.Group, ctx: click.Context, prefix: str):
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        path = f"{prefix} {name}"
        sub = click.Context(command, info_name=name, parent=ctx)
        if isinstance(command, click.Group):
            yield from _commands(command, sub, path)
        else:
            yield path, command, sub


def render() -> str:
    from cli import cli
    root = click.Context(cli, info_name="hms")
    lines = [HEADER]
    section = None
    for path, command, ctx in _commands(cli, root, "hms"):
        area = path.split()[1]
        if area != section:
            lines.append(f"## hms {area}\n")
            section = area
        usage = " ".join(command.collect_usage_pieces(ctx))
        summary = command.get_short_help_str(limit=200)
        mark = "" if in_contract(path) else " *(beyond the contract)*"
        options = [record[0] for param in command.get_params(ctx)
                   if isinstance(param, click.Option) and "--help" not in param.opts
                   for record in [param.get_help_record(ctx)] if record]
        lines.append(f"- `{path} {usage}`{mark}  \n  {summary}"
                     + (f"  \n  options: {', '.join(f'`{o}`' for o in options)}" if options else "") + "\n")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text() != text:
            print("docs/commands.md is out of date: run `python scripts/command_reference.py`", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main(sys.argv[1:]))
