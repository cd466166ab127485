"""SQL identifiers: the strict patterns names must pass, and the one helper that quotes them.

Identifiers cannot be bound parameters. Every schema, table or index name the tools
paste into SQL either comes from a fixed list in code or goes through
`quote_identifier`; database names a user chooses pass `check_database_name` first.
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
