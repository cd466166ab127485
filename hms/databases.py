"""Databases on a server: whether one exists, creating and dropping one, and the console schema's name.

Each hms database `<db>` has a second schema, the **console schema** `<db>_console`
(built from sql/console/): the console's admins, its audit log and the account
procedures, kept apart from `<db>`, where hms_admin holds ALL PRIVILEGES.
"""

from __future__ import annotations

from .dialect import Dialect
from .errors import ConfigError
from .identifiers import quote_identifier

CONSOLE_SCHEMA_SUFFIX = "_console"
# The folder under sql/ that builds the console schema.
CONSOLE_SQL_FOLDER = "console"

EXISTS = "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s"


def console_schema(database: str) -> str:
    """Return the name of `database`'s console schema, e.g. hms_console."""
    name = f"{database}{CONSOLE_SCHEMA_SUFFIX}"
    if len(name) > 64:
        raise ConfigError(f"the console schema name '{name}' is longer than 64 characters",
                          f"Use a database name of at most {64 - len(CONSOLE_SCHEMA_SUFFIX)} characters")
    return name


def database_exists(conn, name: str) -> bool:
    """True when the server holds a database called `name`."""
    with conn.cursor() as cur:
        cur.execute(EXISTS, (name,))
        return cur.fetchone()[0] > 0


def create_database(conn, name: str, dialect: Dialect, *, if_not_exists: bool = False) -> None:
    """Create database `name` in utf8mb4 with the collation hms's tables use on this server."""
    clause = "IF NOT EXISTS " if if_not_exists else ""
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {clause}{quote_identifier(name)} "
                    f"CHARACTER SET utf8mb4 COLLATE {dialect.default_collation}")


def drop_database(conn, name: str) -> None:
    """Drop database `name` when it exists."""
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)}")
