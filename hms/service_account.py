"""The console's service account: the one login the account tools use.

`hms_service`@`%` holds no CREATE USER and nothing on the mysql schema or the hms
database. It may only EXECUTE the definer procedures in <database>_console (which
check every target themselves) and read/write the console's own two tables. So a
fully compromised console still cannot touch root or any account outside the six
hms roles.

Its password comes from HMS_SERVICE_PASSWORD, else from the 0600 option file
$HMS_HOME/service.cnf, written by `hms db migrate` on first use. It is never put
in git, a log or a command line.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pymysql

from . import passwords
from .config import Settings, quote_identifier
from .db import ConnectionInfo, connect, database_error, info_from_settings, read_option_file, write_option_file
from .errors import ConfigError
from .migrate import companion_database

if TYPE_CHECKING:
    from .accounts import AccountService

SERVICE_USER = "hms_service"
SERVICE_HOST = "%"
PASSWORD_ENV = "HMS_SERVICE_PASSWORD"
PASSWORD_FILE = "service.cnf"

# What the service account may do, on <database>_console only.
GRANTS = (
    "GRANT EXECUTE ON {schema}.* TO %s@%s",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.`console_admin` TO %s@%s",
    "GRANT SELECT, INSERT ON {schema}.`audit_log` TO %s@%s",
)


def password_file(home: Path) -> Path:
    """Where the service password is kept when it does not come from the environment."""
    return Path(home) / PASSWORD_FILE


def read_password(home: Path, env: dict[str, str] | None = None) -> str | None:
    """Return the service password from the environment or the option file, or None."""
    env = os.environ if env is None else env
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    path = password_file(home)
    if not path.is_file():
        return None
    return read_option_file(path).get("password") or None


def service_info(settings: Settings, env: dict[str, str] | None = None) -> ConnectionInfo:
    """Return the service account's login on the configured server, else raise ConfigError."""
    password = read_password(settings.home, env)
    if password is None:
        raise ConfigError(f"the console's service account has no password here (no {PASSWORD_ENV}, "
                          f"no {password_file(settings.home)})",
                          "Run `hms db migrate`, which creates the account and that file")
    return info_from_settings(settings).with_login(SERVICE_USER, password)


def ensure(admin: ConnectionInfo, home: Path, env: dict[str, str] | None = None) -> ConnectionInfo:
    """Create or refresh the service account for `admin.database`; return its login.

    Idempotent: the password is read from the environment or the option file when
    one exists, and generated (then written 0600) only when none does.
    """
    password = read_password(home, env)
    if password is None:
        password = passwords.generate(32)
        _write_password_file(password_file(home), password)
    schema = companion_database(admin.database)
    conn = connect(admin, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                        (SERVICE_USER, SERVICE_HOST, password))
            cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (SERVICE_USER, SERVICE_HOST, password))
            for grant in GRANTS:
                cur.execute(grant.format(schema=quote_identifier(schema)), (SERVICE_USER, SERVICE_HOST))
    except pymysql.err.MySQLError as exc:
        raise database_error(exc, "creating the console's service account",
                             "Use an administrative account (one that may CREATE USER and GRANT)") from None
    finally:
        conn.close()
    return admin.with_login(SERVICE_USER, password)


def _write_password_file(path: Path, password: str) -> None:
    write_option_file(path, "The console's service account (hms_service). Keep private (0600).",
                      user=SERVICE_USER, password=password)


def cli_account_service(settings: Settings):
    """Return account_service() for a command-line user (audited as cli:<login name>)."""
    import getpass

    return account_service(settings, actor=f"cli:{getpass.getuser()}", source="cli")


@contextlib.contextmanager
def account_service(settings: Settings, actor: str, source: str) -> Iterator["AccountService"]:
    """Yield an AccountService logged in as the service account; the connection is closed after."""
    from .accounts import AccountService

    conn = connect(service_info(settings), database=None)
    try:
        yield AccountService(conn, settings.database, actor=actor, source=source)
    finally:
        conn.close()
