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

The account is server-wide, so its password has one owner per server: the hms home
(HMS_HOME, or HMS_SERVICE_PASSWORD) whose password logs in. `hms db migrate` from any
other home (a second HMS_HOME, a second install) pointed at the same server refuses to
change it, instead of silently locking the owner's console and `hms users` out, unless
told to take it over (`--take-over-service-account`). Owning is holding the password
that works, nothing recorded beside it: it cannot drift from the truth, and a password
changed by hand is found the same way. A home whose password stopped working is told
so, with the command that takes the account back, not to check its URL.
"""

from __future__ import annotations

import os
from pathlib import Path

import pymysql

from . import dialect as dialects
from . import errcodes, passwords
import contextlib
from typing import Iterator

from .config import Settings
from .connection import ConnectionInfo, connect, database_error, error_code, session
from .databases import console_schema
from .errors import ConfigError, ConnectionFailed, HmsError
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
                     "account_require_x509", "session_kill", "account_set_password_expiry")
GRANTS = tuple(f"GRANT EXECUTE ON PROCEDURE {{schema}}.`{name}` TO %s@%s" for name in PUBLIC_PROCEDURES) + (
    "GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.`console_admin` TO %s@%s",
    "GRANT SELECT, INSERT ON {schema}.`audit_log` TO %s@%s",
    "GRANT SELECT ON {schema}.`audit_chain_head` TO %s@%s",  # for `hms audit verify` in the console
    "GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.`login_throttle` TO %s@%s",
    # The salt of an enrolled password, to derive the key account_elevate checks; never the verifier.
    "GRANT SELECT (admin_id, salt) ON {schema}.`admin_elevation` TO %s@%s",
)
# In the hms database itself: only which doctor a doctor login is (hms/doctor_logins.py).
DATA_GRANTS = ("GRANT SELECT, INSERT, DELETE ON {database}.`doctor_login` TO %s@%s",)
# What earlier versions granted instead; revoked so an upgraded server holds no more than GRANTS.
OLD_SCHEMA_GRANT = "REVOKE EXECUTE ON {schema}.* FROM %s@%s"

ACCOUNT_EXISTS = "SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s"
# Held while a home checks and sets the password, so two homes never both think they own it.
OWNER_LOCK = "hms_service_account_owner"
OWNER_LOCK_WAIT_SECONDS = 30
TAKE_OVER = "hms db migrate --take-over-service-account"


class ServiceAccountError(HmsError):
    """The service account belongs to another hms home, or refuses this home's password."""


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


def connect_service(login: ConnectionInfo) -> pymysql.connections.Connection:
    """Return a connection as the service account; a refused password is named as the cause."""
    try:
        return connect(login, database=None)
    except ConnectionFailed as exc:
        # connect() raises from None; the server's refusal is still the context.
        if error_code(exc.__context__) == errcodes.ACCESS_DENIED:
            raise ServiceAccountError(
                f"the console's service account '{SERVICE_USER}' on {login.where} refused the password this "
                "hms home holds for it: another hms home on this server took the account over with "
                "`hms db migrate`, or its password was changed (or the account dropped) by hand",
                f"Run `{TAKE_OVER}` with this HMS_HOME to take it back (the other home's console then "
                "stops working), or copy the owning home's service.cnf here") from None
        raise


@contextlib.contextmanager
def service_session(login: ConnectionInfo) -> Iterator[pymysql.connections.Connection]:
    """Yield a connection as the service account (see connect_service); closed afterwards."""
    conn = connect_service(login)
    try:
        yield conn
    finally:
        conn.close()


def check_owner(admin: ConnectionInfo, home: Path, env: dict[str, str] | None = None) -> None:
    """Raise ServiceAccountError when the server's service account is not this home's to set."""
    try:
        with session(admin, database=None) as conn:
            refusal = _refusal(conn, admin, home, env, read_password(home, env))
    except pymysql.err.MySQLError as exc:
        raise database_error(exc, "checking who owns the console's service account",
                             "Use an administrative account (one that may CREATE USER and GRANT)") from None
    if refusal is not None:
        raise refusal


def ensure(admin: ConnectionInfo, home: Path, env: dict[str, str] | None = None, *,
           take_over: bool = False) -> ConnectionInfo:
    """Create or refresh the service account for `admin.database`; return its login.

    Idempotent: the password is read from the environment or the option file when
    one exists, and generated (then written 0600) only when none does. An account
    that another home owns (its password is not this home's) is refused with
    ServiceAccountError unless `take_over`, which gives it this home's password.
    """
    schema = console_schema(admin.database)
    try:
        with session(admin, database=None) as conn, conn.cursor() as cur:
            password = _claim(conn, admin, home, env, take_over)
            identified, hashed = dialects.for_connection(conn).identified(password)  # the hash only: logged
            cur.execute(f"CREATE USER IF NOT EXISTS %s@%s {identified}", (SERVICE_USER, SERVICE_HOST, hashed))
            cur.execute(f"ALTER USER %s@%s {identified}", (SERVICE_USER, SERVICE_HOST, hashed))
            try:
                cur.execute(OLD_SCHEMA_GRANT.format(schema=quote_identifier(schema)), (SERVICE_USER, SERVICE_HOST))
            except pymysql.err.MySQLError as exc:
                if error_code(exc) != errcodes.NONEXISTING_GRANT:  # else it never held it: fine
                    raise
            for grant in GRANTS:
                cur.execute(grant.format(schema=quote_identifier(schema)), (SERVICE_USER, SERVICE_HOST))
            for grant in DATA_GRANTS:
                cur.execute(grant.format(database=quote_identifier(admin.database)), (SERVICE_USER, SERVICE_HOST))
    except pymysql.err.MySQLError as exc:
        raise database_error(exc, "creating the console's service account",
                             "Use an administrative account (one that may CREATE USER and GRANT)") from None
    return admin.with_login(SERVICE_USER, password)


def _claim(conn, admin: ConnectionInfo, home: Path, env: dict[str, str] | None, take_over: bool) -> str:
    """Take the owner lock on `conn` (held until it closes); return the password this home sets."""
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, %s)", (OWNER_LOCK, OWNER_LOCK_WAIT_SECONDS))
        if cur.fetchone()[0] != 1:
            raise ServiceAccountError(f"another hms is setting up the console's service account on {admin.where}",
                                      "Wait for it to finish, then run `hms db migrate` again")
    password = read_password(home, env)
    refusal = _refusal(conn, admin, home, env, password)
    if refusal is not None and not take_over:
        raise refusal
    if password is None:
        password = passwords.generate(32)
        _write_password_file(password_file(home), password)
    return password


def _refusal(conn, admin: ConnectionInfo, home: Path, env: dict[str, str] | None,
             password: str | None) -> ServiceAccountError | None:
    """Why this home may not set the account's password (another owns it), or None."""
    with conn.cursor() as cur:
        cur.execute(ACCOUNT_EXISTS, (SERVICE_USER, SERVICE_HOST))
        if not cur.fetchone()[0]:
            return None  # no account yet: this home creates it, and owns it
    env = os.environ if env is None else env
    held = PASSWORD_ENV if env.get(PASSWORD_ENV) else str(password_file(home))
    fix = (f"To share the account, copy the owning home's service.cnf here (or set {PASSWORD_ENV}); to give it "
           f"this home's password, run `{TAKE_OVER}` (the other home's console and `hms users` then stop "
           "working until it takes the account back)")
    if password is None:
        return ServiceAccountError(f"the console's service account '{SERVICE_USER}' on {admin.where} belongs to "
                                   f"another hms home: this one holds no password for it (no {held})", fix)
    if _logs_in(admin.with_login(SERVICE_USER, password)):
        return None
    return ServiceAccountError(f"the console's service account '{SERVICE_USER}' on {admin.where} refuses this "
                               f"home's password (from {held}): another hms home took the account over, or "
                               "its password was changed by hand", fix)


def _logs_in(login: ConnectionInfo) -> bool:
    """True when `login` is accepted; False when the server refuses its password."""
    try:
        connect(login, database=None).close()
    except ConnectionFailed as exc:
        if error_code(exc.__context__) == errcodes.ACCESS_DENIED:
            return False
        raise
    return True


def _write_password_file(path: Path, password: str) -> None:
    write_option_file(path, "The console's service account (hms_service). Keep private (0600).",
                      user=SERVICE_USER, password=password)
