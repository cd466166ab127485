"""Console admins: the people who may log in to the web console.

Stored in <database>_console.console_admin with werkzeug.security password hashes;
read and written as the service account. There is no default admin: the first one
is made by `hms console create-admin`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pymysql
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit_log, errcodes, passwords
from .connection import error_code
from .errors import HmsError
from .identifiers import quote_identifier

USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{2,63}", re.ASCII)
# A hash that no password matches, so a login for an unknown name costs as much as a real one.
_DUMMY_HASH = generate_password_hash("not-a-password-" + "x" * 16)


class AdminError(HmsError):
    """A console admin could not be created, found or changed."""


@dataclass(frozen=True)
class Admin:
    """A console admin (the hash stays in the database layer)."""

    admin_id: int
    username: str
    session_key: str

    @property
    def login_id(self) -> str:
        """Flask-Login's id: changes when the admin is deleted, the password changes or sessions are revoked."""
        return f"{self.admin_id}.{self.session_key}"


def check_username(username: str) -> str:
    """Return `username` when it is a valid admin name, else raise AdminError."""
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise AdminError("an admin name must be 3-64 letters, digits, '.', '-' or '_', starting with a letter",
                         "Choose another name")
    return username


def create(conn, schema: str, username: str, password: str, replace: bool = False) -> bool:
    """Store the admin; with replace, reset an existing admin's password. Return True if new."""
    check_username(username)
    passwords.check(password, username)
    digest = generate_password_hash(password)
    with conn.cursor() as cur:
        try:
            cur.execute(f"INSERT INTO {quote_identifier(schema)}.console_admin (username, password_hash) VALUES (%s, %s)",
                        (username, digest))
            return True
        except pymysql.err.IntegrityError as exc:
            if error_code(exc) != errcodes.DUPLICATE_KEY:
                raise
            if not replace:
                raise AdminError(f"console admin '{username}' already exists",
                                 "Pick another name, or pass --reset to give it a new password") from None
            cur.execute(f"UPDATE {quote_identifier(schema)}.console_admin SET password_hash = %s, "
                        "session_epoch = %s WHERE username = %s", (digest, secrets.token_hex(16), username))
            return False


@dataclass(frozen=True)
class AdminInfo:
    """A console admin as listed: name, when made, last login, whether locked (never the hash)."""

    username: str
    created_at: object
    last_login_at: object
    locked_at: object

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    def as_dict(self) -> dict:
        shown = lambda value: value.isoformat(sep=" ") if value is not None else None  # noqa: E731
        return {"username": self.username, "created_at": shown(self.created_at),
                "last_login_at": shown(self.last_login_at), "locked": self.locked, "locked_at": shown(self.locked_at)}


def list_admins(conn, schema: str) -> list[AdminInfo]:
    """Every console admin, by name."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT username, created_at, last_login_at, locked_at "
                    f"FROM {quote_identifier(schema)}.console_admin ORDER BY username")
        return [AdminInfo(*row) for row in cur.fetchall()]


def set_locked(conn, schema: str, username: str, locked: bool) -> None:
    """Lock (no login, every session ends) or unlock the admin."""
    with conn.cursor() as cur:
        cur.execute(f"UPDATE {quote_identifier(schema)}.console_admin SET "
                    f"locked_at = {'NOW()' if locked else 'NULL'}, session_epoch = %s WHERE username = %s",
                    (secrets.token_hex(16), username))
        if cur.rowcount == 0:
            raise AdminError(f"there is no console admin '{username}'", "See `hms console list-admins`")


def set_locked_audited(conn, schema: str, username: str, locked: bool, *, actor: str, source: str) -> None:
    """`set_locked`, recorded in the audit log."""
    action = "lock-admin" if locked else "unlock-admin"
    try:
        set_locked(conn, schema, username, locked)
    except HmsError as exc:
        audit_log.record(conn, schema, actor=actor, action=action, target=username, outcome="refused",
                         detail=exc.what, source=source)
        raise
    audit_log.record(conn, schema, actor=actor, action=action, target=username, outcome="success", source=source)


def revoke_sessions(conn, schema: str, admin_id: int) -> None:
    """End every session of the admin, on every browser and every copy of its cookie."""
    with conn.cursor() as cur:
        cur.execute(f"UPDATE {quote_identifier(schema)}.console_admin SET session_epoch = %s WHERE admin_id = %s",
                    (secrets.token_hex(16), admin_id))


def delete(conn, schema: str, username: str) -> None:
    """Delete the admin; their sessions end at their next request."""
    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM {quote_identifier(schema)}.console_admin WHERE username = %s", (username,))
        if cur.rowcount == 0:
            raise AdminError(f"there is no console admin '{username}'", "See the console_admin table")


def create_audited(conn, schema: str, username: str, password: str, *, replace: bool, actor: str,
                   source: str) -> bool:
    """`create`, with the outcome (refusals included) recorded in the audit log. Return True if new."""
    try:
        created = create(conn, schema, username, password, replace=replace)
    except HmsError as exc:
        audit_log.record(conn, schema, actor=actor, action="create-admin", target=username,
                         outcome="refused", detail=exc.what, source=source)
        raise
    audit_log.record(conn, schema, actor=actor, action="create-admin" if created else "reset-admin-password",
                     target=username, outcome="success", source=source)
    return created


def delete_audited(conn, schema: str, username: str, *, actor: str, source: str) -> None:
    """`delete`, recorded in the audit log."""
    delete(conn, schema, username)
    audit_log.record(conn, schema, actor=actor, action="delete-admin", target=username, outcome="success",
                     source=source)


def authenticate(conn, schema: str, username: str, password: str) -> Admin | None:
    """Return the admin when the password matches, else None (same work either way).

    Raises AdminError for a locked admin, only once the password was right."""
    row = _row(conn, schema, "username = %s", username)
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row[2], password):
        return None
    if row[4] is not None:
        raise AdminError(f"console admin '{username}' is locked", "Ask another console admin to unlock it")
    with conn.cursor() as cur:
        cur.execute(f"UPDATE {quote_identifier(schema)}.console_admin SET last_login_at = NOW() WHERE admin_id = %s", (row[0],))
    return _admin(row)


def by_login_id(conn, schema: str, login_id: str) -> Admin | None:
    """Return the admin a session's id names, or None when deleted or the password changed."""
    admin_id, _, key = str(login_id).partition(".")
    if not admin_id.isdigit():
        return None
    row = _row(conn, schema, "admin_id = %s", int(admin_id))
    if row is None:
        return None
    admin = _admin(row)
    return admin if row[4] is None and hmac.compare_digest(admin.session_key, key) else None


def count(conn, schema: str) -> int:
    """How many console admins exist."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {quote_identifier(schema)}.console_admin")
        return cur.fetchone()[0]


def _row(conn, schema: str, where: str, value):
    with conn.cursor() as cur:
        cur.execute(f"SELECT admin_id, username, password_hash, session_epoch, locked_at "
                    f"FROM {quote_identifier(schema)}.console_admin WHERE {where}", (value,))
        return cur.fetchone()


def _admin(row) -> Admin:
    key = hashlib.sha256(f"{row[2]}\0{row[3]}".encode()).hexdigest()[:32]
    return Admin(admin_id=row[0], username=row[1], session_key=key)
