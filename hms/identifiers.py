"""SQL identifiers: the strict patterns names must pass, and the one helper that quotes them.

Identifiers cannot be bound parameters. Every schema, table or index name the tools
paste into SQL either comes from a fixed list in code or goes through
`quote_identifier`; database names a user chooses pass `check_database_name` first.
Names read back from the server (a table someone created as `a-b`) cannot be held to
the strict pattern: `quote_name` quotes any of them exactly, doubling inner backquotes.
"""

from __future__ import annotations

import re

from .errors import ConfigError

# Database names the tools will create or use: letters, digits and underscores.
DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def check_database_name(name: str) -> str:
    """Return `name` when it is a safe database name, else raise ConfigError."""
    if not name or not DATABASE_NAME.fullmatch(name):
        raise ConfigError(
            f"'{name}' is not a valid database name",
            "Use 1-64 letters, digits or underscores, starting with a letter or underscore",
        )
    return name


def quote_identifier(name: str) -> str:
    """Return `name` backquoted for SQL, after checking it against the strict pattern."""
    if not IDENTIFIER.fullmatch(name or ""):
        raise ConfigError(f"'{name}' is not a safe SQL identifier",
                          "Use 1-64 letters, digits or underscores")
    return f"`{name}`"


def quote_name(name: str) -> str:
    """Return a name read from the server (any characters) backquoted for SQL.

    Only for names the server itself listed (information_schema), never for user input:
    inner backquotes are doubled, so the name cannot end the quoting early.
    """
    if not isinstance(name, str) or not name or len(name) > 64 or "\x00" in name:
        raise ConfigError(f"'{name}' is not a name the server could hold", "Check the object's name")
    return "`" + name.replace("`", "``") + "`"
