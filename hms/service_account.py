"""The console's service account: the one login the account tools use.

`hms_service`@`%` holds no CREATE USER and nothing on the mysql schema or the hms
database. It may only EXECUTE the definer procedures in the console schema (which
check every target themselves) and read/write the console's own tables. So its
password alone cannot touch root or any account but pure hms-role ones, and cannot
grant admin or dba or change an account holding one (that needs an elevation ticket,
hms/elevation.py).

Its password comes from HMS_SERVICE_PASSWORD, else from the 0600 option file
$HMS_HOME/service.cnf, written by `hms db migrate` on first use. It is never put
in git, a log or a command line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pymysql

from . import errcodes, passwords
from .config import Settings
from .connection import ConnectionInfo, database_error, error_code, session
from .databases import console_schema
from .errors import ConfigError
from .identifiers import quote_identifier
from .login import admin_login
from .optionfiles import read_option_file, write_option_file

SERVICE_USER = "hms_service"
SERVICE_HOST = "%"
PASSWORD_ENV = "HMS_SERVICE_PASSWORD"
PASSWORD_FILE = "service.cnf"

# What the service account may do, in the console schema only: EXECUTE on each public
# account procedure (not on the guards or the statement helper, which only the definer
# procedures call), and its tables. Granted per procedure, so they are re-granted
# after every migrate (re-creating a procedure drops the grants on it).
PUBLIC_PROCEDURES = ("account_create", "account_drop", "account_elevate", "account_grants", "account_list",
                     "account_lock", "account_set_password", "account_set_role", "account_unlock", "role_grants",
                     "account_require_x509")
GRANTS = tuple(f"GRANT EXECUTE ON PROCEDURE {{schema}}.`{name}` TO %s@%s" for name in PUBLIC_PROCEDURES) + (
    "GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.`console_admin` TO %s@%s",
    "GRANT SELECT, INSERT ON {schema}.`audit_log` TO %s@%s",
    "GRANT SELECT ON {schema}.`audit_chain_head` TO %s@%s",  # for `hms audit verify` in the console
    "GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.`login_throttle` TO %s@%s",
    # The salt of an enrolled password, to derive the key account_elevate checks; never the verifier.
    "GRANT SELECT (admin_id, salt) ON {schema}.`admin_elevation` TO %s@%s",
)
# What earlier versions granted instead; revoked so an upgraded server holds no more than GRANTS.
OLD_SCHEMA_GRANT = "REVOKE EXECUTE ON {schema}.* FROM %s@%s"


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


def service_login(settings: Settings, env: dict[str, str] | None = None) -> ConnectionInfo:
    """Return the service account's login on the configured server, else raise ConfigError."""
    password = read_password(settings.home, env)
    if password is None:
        raise ConfigError(f"the console's service account has no password here (no {PASSWORD_ENV}, "
                          f"no {password_file(settings.home)})",
                          "Run `hms db migrate`, which creates the account and that file")
    return admin_login(settings).with_login(SERVICE_USER, password)


def ensure(admin: ConnectionInfo, home: Path, env: dict[str, str] | None = None) -> ConnectionInfo:
    """Create or refresh the service account for `admin.database`; return its login.

    Idempotent: the password is read from the environment or the option file when
    one exists, and generated (then written 0600) only when none does.
    """
    password = read_password(home, env)
    if password is None:
        password = passwords.generate(32)
        _write_password_file(password_file(home), password)
    schema = console_schema(admin.database)
    try:
        with session(admin, database=None) as conn, conn.cursor() as cur:
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                        (SERVICE_USER, SERVICE_HOST, password))
            cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (SERVICE_USER, SERVICE_HOST, password))
            try:
                cur.execute(OLD_SCHEMA_GRANT.format(schema=quote_identifier(schema)), (SERVICE_USER, SERVICE_HOST))
            except pymysql.err.MySQLError as exc:
                if error_code(exc) != errcodes.NONEXISTING_GRANT:  # else it never held it: fine
                    raise
            for grant in GRANTS:
                cur.execute(grant.format(schema=quote_identifier(schema)), (SERVICE_USER, SERVICE_HOST))
    except pymysql.err.MySQLError as exc:
        raise database_error(exc, "creating the console's service account",
                             "Use an administrative account (one that may CREATE USER and GRANT)") from None
    return admin.with_login(SERVICE_USER, password)


def _write_password_file(path: Path, password: str) -> None:
    write_option_file(path, "The console's service account (hms_service). Keep private (0600).",
                      user=SERVICE_USER, password=password)
