"""Elevation: what it takes to grant `admin` or `dba`, or change an account holding one.

`hms_dba` holds every privilege server-wide and `hms_admin` all of the hms database, so the
account procedures refuse to grant them, or to change (re-password, re-role, lock, unlock,
drop) an account holding one, unless the calling connection holds an elevation ticket
(sql/console/routines/elevation_guard.sql). Two things mint one:

- a console admin's own password, re-entered in the form: checked here against its
  werkzeug hash (console_admins), then turned into a key (PBKDF2-SHA256 under the salt
  enrolled for it) that `account_elevate` checks on the server against a verifier the
  service account can neither read nor write;
- the administrative login, which writes a ticket for the service session directly (the
  CLI: whoever runs it holds that login already).

The verifier is written only by the administrative login (`enroll`, which
`hms console create-admin` runs), so a stolen service password, which can read and rewrite
`console_admin`, still cannot make a password of its own count. Tickets are bound to the
server's CONNECTION_ID() and last 30 seconds.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, field

import pymysql
from werkzeug.security import check_password_hash

from . import login_throttle
from .connection import server_message
from .errors import HmsError
from .identifiers import quote_identifier

# The roles that administer something: granting one, or changing an account holding one, needs a ticket.
PRIVILEGED_ROLES = ("admin", "dba")
ITERATIONS = 600_000
TICKET_SECONDS = 30
# Re-entries are throttled like logins, under a name no console admin can have (':' is not allowed).
THROTTLE_PREFIX = "reentry:"
THROTTLE = login_throttle.Policy()

ADMIN_ROW = ("SELECT a.admin_id, a.password_hash, e.salt FROM {schema}.console_admin AS a "
             "LEFT JOIN {schema}.admin_elevation AS e ON e.admin_id = a.admin_id WHERE a.username = %s")
ENROL = ("INSERT INTO {schema}.admin_elevation (admin_id, salt, verifier) "
         "SELECT admin_id, %(salt)s, %(verifier)s FROM {schema}.console_admin WHERE username = %(username)s "
         "ON DUPLICATE KEY UPDATE salt = %(salt)s, verifier = %(verifier)s, enrolled_at = NOW()")
ADMIN_TICKET = ("INSERT INTO {schema}.elevation_ticket (connection_id, admin_id, expires_at) "
                f"VALUES (%s, NULL, NOW(3) + INTERVAL {TICKET_SECONDS} SECOND) "
                f"ON DUPLICATE KEY UPDATE admin_id = NULL, expires_at = NOW(3) + INTERVAL {TICKET_SECONDS} SECOND")


class ElevationRefused(HmsError):
    """A re-entered console password was missing, wrong, throttled or not enrolled; nothing was changed."""


@dataclass(frozen=True)
class Reentry:
    """A console admin's own password, re-entered to grant or change an admin or dba account."""

    admin: str
    password: str = field(repr=False)


def needs_elevation(roles) -> bool:
    """True when any of `roles` (hms role names) is admin or dba."""
    return any(role in PRIVILEGED_ROLES for role in roles)


def derive_key(password: str, salt: str) -> bytes:
    """The key account_elevate checks: PBKDF2-SHA256 of the password under the enrolled salt."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), ITERATIONS)


def enroll(admin_conn, schema: str, username: str, password: str) -> None:
    """Enrol `password` as what the console admin re-enters; `admin_conn` is the administrative login."""
    salt = secrets.token_hex(16)
    verifier = hashlib.sha256(derive_key(password, salt)).hexdigest()
    try:
        with admin_conn.cursor() as cur:
            cur.execute(ENROL.format(schema=quote_identifier(schema)),
                        {"salt": salt, "verifier": verifier, "username": username})
            enrolled = cur.rowcount > 0
    except pymysql.err.MySQLError as exc:
        raise ElevationRefused(f"enrolling the password failed on the server: {server_message(exc)}",
                               "Run it with the administrative login, the one `hms db migrate` uses") from None
    if not enrolled:
        raise ElevationRefused(f"there is no console admin '{username}' to enrol",
                               "Create it first with `hms console create-admin`")


def prove(conn, schema: str, reentry: Reentry, source: str) -> tuple[int, str]:
    """Check the re-entered password; return (admin_id, key hex) for account_elevate, else raise."""
    if not reentry.password:
        raise ElevationRefused("admin and dba accounts need your console password re-entered",
                               "Type the password you log in to the console with; nothing was changed")
    throttle_name = THROTTLE_PREFIX + reentry.admin
    wait = login_throttle.admit(conn, schema, throttle_name, source, THROTTLE)
    if wait > 0:
        raise ElevationRefused("too many wrong console passwords were re-entered",
                               f"Wait {math.ceil(wait)} s and try again; nothing was changed")
    with conn.cursor() as cur:
        cur.execute(ADMIN_ROW.format(schema=quote_identifier(schema)), (reentry.admin,))
        row = cur.fetchone()
    if row is None or not check_password_hash(row[1], reentry.password):
        raise ElevationRefused("the console password you re-entered is wrong",
                               "Type the password you log in to the console with; nothing was changed")
    login_throttle.succeeded(conn, schema, throttle_name, source)
    admin_id, _, salt = row
    if salt is None:
        raise ElevationRefused(f"console admin '{reentry.admin}' has no enrolled password, so it cannot "
                               "grant or change admin and dba accounts",
                               f"Run `hms console create-admin {reentry.admin} --reset` as the administrative "
                               "login (it enrols the new password); nothing was changed")
    return admin_id, derive_key(reentry.password, salt).hex()


def admin_ticket(admin_conn, schema: str, connection_id: int) -> None:
    """Write, as the administrative login, a ticket for the session `connection_id`."""
    with admin_conn.cursor() as cur:
        cur.execute(ADMIN_TICKET.format(schema=quote_identifier(schema)), (connection_id,))
