"""The account manager: real MySQL accounts holding one of the eight hms roles.

Used by both `hms users ...` / `hms roles list` and the console, so both do exactly
the same thing. It talks to the server as the console's service account and only
through the definer procedures in the console schema (sql/console/routines/), which
check every target again on the server (admin and dba changes also need an elevation
ticket, hms/elevation.py). The server is the source of truth: lists,
roles, default roles, lock state and grants are read from it on every call.

Names are checked here first (strict patterns, the stricter of MySQL's and
MariaDB's length limits) so users get a clear message; passwords are generated or
checked against hms.passwords and never written anywhere but the server.
Every operation, refused ones included, is recorded in the audit log.
"""

from __future__ import annotations

import contextlib
import getpass
import re
from dataclasses import dataclass, field, replace
from typing import Iterator

import pymysql

from . import audit_log, doctor_logins, elevation, errcodes, passwords
from . import dialect as dialects
from .config import Settings
from .connection import ConnectionInfo, error_code, server_message, session
from .databases import console_schema
from .elevation import Reentry
from .errors import HmsError
from .grants import privilege_text, without_secret
from .identifiers import quote_identifier
from .login import admin_login
from .roles import BY_MYSQL_ROLE, ROLES, Role, get_role
from .service_account import service_login, service_session

# MySQL 8 allows 32 characters in a user name, MariaDB 80: the stricter wins.
NAME_MAX = 32
HOST_MAX = 60
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,%d}" % (NAME_MAX - 1), re.ASCII)
HOST_PATTERN = re.compile(r"[A-Za-z0-9%%._-]{1,%d}" % HOST_MAX, re.ASCII)
RESERVED_NAMES = ("root", "admin", "public", "none", "mysql", "mariadb")
RESERVED_PREFIXES = ("hms_", "mysql", "mariadb")
EXPIRE_DAYS_MAX = 65535  # PASSWORD EXPIRE INTERVAL's limit on MySQL and MariaDB


class AccountError(HmsError):
    """An account operation was refused or failed; nothing was changed.

    `server_failure` is True when the server failed a statement (audited as a
    failure), False when a check refused the request (audited as refused).
    """

    server_failure: bool = False


class InvalidAccountName(AccountError):
    """An account name or host does not pass the pattern, or is reserved."""


@dataclass(frozen=True)
class Account:
    """An hms-managed account as the server reports it."""

    name: str
    host: str
    roles: list[str]
    default_roles: list[str]
    locked: bool
    grants: list[str] = field(default_factory=list)
    # The password must be changed every expire_days days (None: never); password_changed is
    # when it last was ('YYYY-MM-DD HH:MM:SS', server time); expired: the interval has passed.
    expire_days: int | None = None
    password_changed: str | None = None
    password_expired: bool = False

    @property
    def role(self) -> Role | None:
        """The account's hms role (the first, should several have been granted by hand)."""
        return ROLES[self.roles[0]] if self.roles else None

    def as_dict(self, with_grants: bool = False) -> dict:
        data = {"name": self.name, "host": self.host, "roles": self.roles, "locked": self.locked,
                "password_expire_days": self.expire_days, "password_expired": self.password_expired}
        if with_grants:
            data.update(default_roles=self.default_roles, grants=self.grants,
                        password_changed=self.password_changed)
        return data


@dataclass(frozen=True)
class RoleSummary:
    """One hms role with its privileges and members, as the server reports them."""

    role: Role
    privileges: list[str]
    members: list[str]

    def as_dict(self) -> dict:
        return {"name": self.role.name, "mysql_role": self.role.mysql_role, "title": self.role.title,
                "description": self.role.description, "privileges": self.privileges,
                "members": self.members}


def check_name(name: str) -> str:
    """Return `name` when it is a valid, unreserved account name, else raise InvalidAccountName."""
    shown = _shown(name)
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidAccountName(f"'{shown}' is not a valid account name",
                                 f"Use 1-{NAME_MAX} letters, digits or underscores, starting with a letter")
    lower = name.lower()
    if lower in RESERVED_NAMES or lower.startswith(RESERVED_PREFIXES):
        raise InvalidAccountName(f"'{shown}' is a reserved account name",
                                 "Root, system accounts and hms_* names are not managed here; choose another")
    return name


def check_host(host: str) -> str:
    """Return `host` when it passes the host pattern, else raise InvalidAccountName."""
    if not isinstance(host, str) or not HOST_PATTERN.fullmatch(host):
        raise InvalidAccountName(f"'{_shown(host)}' is not a valid host",
                                 f"Use % (any host), localhost, an IP address or a host name "
                                 f"(1-{HOST_MAX} letters, digits, '.', '-', '_' or %)")
    return host


def check_expire_days(days: int | None) -> int | None:
    """Return `days` when it is None (never) or a whole number of days the server accepts."""
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= EXPIRE_DAYS_MAX):
        raise AccountError(f"a password expiry of {_shown(days)} days is out of range",
                           f"Give 1-{EXPIRE_DAYS_MAX} days, or never")
    return days


class AccountManager:
    """Account operations on one server, as the service account, audited.

    Granting admin or dba, or changing an account that holds one, needs an elevation
    ticket (hms/elevation.py): from `reentry`, the acting console admin's own password,
    or else from `admin`, the administrative login (the CLI's). Without either the
    server refuses.
    """

    def __init__(self, conn, database: str, actor: str, source: str, admin: ConnectionInfo | None = None):
        self.conn = conn
        self.schema = console_schema(database)
        self.database = database
        self.actor = actor
        self.source = source
        self.admin = admin

    # -- reading -------------------------------------------------------------
    def list(self, search: str = "") -> list[Account]:
        """Every hms-managed account (name or host containing `search`), by name."""
        rows = self._call("account_list", ())
        accounts = [Account(name=name, host=host, locked=bool(locked), roles=_cli_roles(roles),
                            default_roles=_cli_roles(defaults), expire_days=int(expire_days) if expire_days else None,
                            password_changed=str(changed) if changed else None, password_expired=bool(expired))
                    for name, host, locked, roles, defaults, expire_days, changed, expired in rows]
        needle = search.strip().lower()
        if needle:
            accounts = [a for a in accounts if needle in a.name.lower() or needle in a.host.lower()]
        return accounts

    def show(self, name: str, host: str = "%") -> Account:
        """The account with its grants, as SHOW GRANTS reports them; raises when not managed."""
        check_name(name)
        check_host(host)
        found = [a for a in self.list() if a.name == name and a.host == host]
        if not found:
            raise AccountError(f"there is no hms-managed account '{name}'@'{host}'",
                               "See `hms users list`; only accounts holding an hms role are shown")
        grants = [without_secret(row[0]) for row in self._call("account_grants", (name, host))]
        return replace(found[0], grants=grants)

    def roles(self) -> list[RoleSummary]:
        """The eight roles with their privileges (from SHOW GRANTS) and member accounts."""
        members: dict[str, list[str]] = {name: [] for name in ROLES}
        for account in self.list():
            for role in account.roles:
                members[role].append(f"{account.name}@{account.host}")
        summaries = []
        for role in ROLES.values():
            lines = [row[0] for row in self._call("role_grants", (role.mysql_role,))]
            privileges = [privilege_text(line) for line in lines]
            summaries.append(RoleSummary(role, [p for p in privileges if p != "USAGE ON *.*"],
                                         members[role.name]))
        return summaries

    # -- writing -------------------------------------------------------------
    def create(self, name: str, role: str, host: str = "%", password: str | None = None,
               reentry: Reentry | None = None, expire_days: int | None = None,
               doctor_id: int | None = None) -> str | None:
        """Create the account with `role` as its default role; return the password if generated.

        `expire_days`: the password must be changed every so many days (None: never).
        A doctor account is mapped to its doctor (`doctor_id`) first, and unmapped again
        if the account cannot be made (hms/doctor_logins.py)."""
        generated = None
        detail = f"role {role}" + (f", password expires every {expire_days} days" if expire_days else "")
        with self._audited("create", name, host, detail):
            check_name(name)
            check_host(host)
            check_expire_days(expire_days)
            chosen = get_role(role)
            doctor_logins.check_pairing(chosen.name, doctor_id)
            self._elevate(name, host, reentry, new_role=chosen.name, existing=False)
            if password is None:
                password = generated = passwords.generate()
            else:
                passwords.check(password, name)
            if doctor_id is not None:
                doctor_logins.map_login(self.conn, self.database, name, doctor_id)
            try:
                self._call("account_create", (name, host, chosen.mysql_role, self._hash(password)))
            except HmsError:
                if doctor_id is not None:
                    doctor_logins.unmap_login(self.conn, self.database, name)
                raise
            if expire_days:
                try:
                    self._call("account_set_password_expiry", (name, host, expire_days))
                except AccountError:
                    self._call("account_drop", (name, host))  # no account without the expiry asked for
                    if doctor_id is not None:
                        doctor_logins.unmap_login(self.conn, self.database, name)
                    raise
        return generated

    def set_role(self, name: str, role: str, host: str = "%", reentry: Reentry | None = None,
                 doctor_id: int | None = None) -> bool:
        """Give the account exactly `role` among the hms roles, as its default role.

        The doctor role needs `doctor_id`, the doctor the login is (mapped first, put back
        as it was if the role cannot be given); any other role removes the login's mapping.
        Return False, changing and recording nothing, when it already holds exactly that
        role (and, for doctor, is that doctor)."""
        doctor_logins.check_pairing(get_role(role).name, doctor_id)
        old = self._held_roles(name, host)
        before = doctor_logins.mapped_doctor(self.conn, self.database, name)
        if old == [role] and before == doctor_id:
            return False
        detail = f"role {', '.join(old) or 'none'} -> {role}" + (f", doctor {doctor_id}" if doctor_id else "")
        with self._audited("set-role", name, host, detail):
            check_name(name)
            check_host(host)
            chosen = get_role(role)
            self._elevate(name, host, reentry, new_role=chosen.name)
            doctor_logins.remap_login(self.conn, self.database, name, doctor_id)
            if old != [role]:
                try:
                    self._call("account_set_role", (name, host, chosen.mysql_role))
                except HmsError:
                    doctor_logins.remap_login(self.conn, self.database, name, before)
                    raise
        return True

    def set_password(self, name: str, host: str = "%", password: str | None = None,
                     reentry: Reentry | None = None) -> str | None:
        """Set a new password; return it when generated."""
        generated = None
        with self._audited("set-password", name, host):
            check_name(name)
            check_host(host)
            self._elevate(name, host, reentry)
            if password is None:
                password = generated = passwords.generate()
            else:
                passwords.check(password, name)
            self._call("account_set_password", (name, host, self._hash(password)))
        return generated

    def set_password_expiry(self, name: str, host: str = "%", days: int | None = None,
                            reentry: Reentry | None = None) -> None:
        """Make the password expire every `days` days after it is set (None: never)."""
        with self._audited("set-expiry", name, host, f"every {days} days" if days else "never"):
            check_name(name)
            check_host(host)
            check_expire_days(days)
            self._elevate(name, host, reentry)
            self._call("account_set_password_expiry", (name, host, days))

    def lock(self, name: str, host: str = "%", reentry: Reentry | None = None) -> None:
        """Lock the account (ACCOUNT LOCK): it can no longer log in."""
        self._simple("lock", "account_lock", name, host, reentry)

    def unlock(self, name: str, host: str = "%", reentry: Reentry | None = None) -> None:
        """Unlock the account (ACCOUNT UNLOCK)."""
        self._simple("unlock", "account_unlock", name, host, reentry)

    def drop(self, name: str, host: str = "%", reentry: Reentry | None = None) -> None:
        """Drop the account (DROP USER), and its doctor mapping if it had one."""
        self._simple("drop", "account_drop", name, host, reentry)
        doctor_logins.unmap_login(self.conn, self.database, name)

    def needs_elevation(self, name: str, host: str = "%") -> bool:
        """True when the account holds admin or dba, so changing it needs a re-entered password."""
        return elevation.needs_elevation(self._held_roles(name, host))

    # -- internals -----------------------------------------------------------
    def _hash(self, password: str) -> str:
        """The password's hash, all the procedures get: a CALL's text lands in the general and slow logs."""
        return dialects.for_connection(self.conn).password_hash(password)

    def _simple(self, action: str, procedure: str, name: str, host: str, reentry: Reentry | None) -> None:
        with self._audited(action, name, host):
            check_name(name)
            check_host(host)
            self._elevate(name, host, reentry)
            self._call(procedure, (name, host))

    def _held_roles(self, name: str, host: str) -> list[str]:
        return [role for account in self.list() if (account.name, account.host) == (name, host)
                for role in account.roles]

    def _elevate(self, name: str, host: str, reentry: Reentry | None, new_role: str | None = None,
                 existing: bool = True) -> None:
        """Mint an elevation ticket for this session when the change needs one (see the class)."""
        roles = ([new_role] if new_role else []) + (self._held_roles(name, host) if existing else [])
        if not elevation.needs_elevation(roles):
            return
        target = f"{name}@{host}"
        if reentry is not None:
            admin_id, key = elevation.prove(self.conn, self.schema, reentry, self.source)
            self._call("account_elevate", (admin_id, key))
            self.record("elevate", target, "success", f"console password of {reentry.admin} re-entered")
        elif self.admin is not None:
            with self.conn.cursor() as cur:
                cur.execute("SELECT CONNECTION_ID()")
                connection_id = cur.fetchone()[0]
            try:
                with session(self.admin, database=None) as admin_conn:
                    elevation.admin_ticket(admin_conn, self.schema, connection_id)
            except pymysql.err.MySQLError as exc:
                raise AccountError(f"the login '{self.admin.user}' may not vouch for admin and dba changes: "
                                   f"{server_message(exc)}",
                                   "Use the administrative login, the one `hms db migrate` uses; nothing was "
                                   "changed") from None
            self.record("elevate", target, "success", "administrative login")
        # Else no ticket: the server refuses the change itself (elevation_guard).

    def _audited(self, action: str, name, host, detail: str | None = None) -> "_Audited":
        return _Audited(self, action, f"{name}@{host}", detail)

    def _call(self, procedure: str, args: tuple) -> list[tuple]:
        placeholders = ", ".join(["%s"] * len(args))
        try:
            with self.conn.cursor() as cur:
                cur.execute(f"CALL {quote_identifier(self.schema)}.{quote_identifier(procedure)}({placeholders})", args)
                rows = list(cur.fetchall())
                while cur.nextset():
                    pass
                return rows
        except pymysql.err.MySQLError as exc:
            raise _account_error(exc, procedure) from None

    def record(self, action: str, target: str | None, outcome: str, detail: str | None = None) -> None:
        """Write one audit entry as this service's actor and source."""
        audit_log.record(self.conn, self.schema, actor=self.actor, action=action, target=target,
                     outcome=outcome, detail=detail, source=self.source)


class _Audited:
    """Context manager: records the operation's outcome (success, refused, failure)."""

    def __init__(self, service: "AccountManager", action: str, target: str, detail: str | None):
        self.service, self.action, self.target, self.detail = service, action, target, detail

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            self.service.record(self.action, self.target, "success", self.detail)
        elif isinstance(exc, HmsError):
            outcome = "failure" if isinstance(exc, AccountError) and exc.server_failure else "refused"
            reason = exc.what if not self.detail else f"{self.detail}: {exc.what}"
            self.service.record(self.action, self.target, outcome, reason)
        return False


def _account_error(exc: pymysql.err.MySQLError, procedure: str) -> AccountError:
    code = error_code(exc)
    if code == errcodes.SIGNAL_EXCEPTION:
        message = exc.args[1] if len(exc.args) > 1 else str(exc)
        return AccountError(f"the server refused: {message}", "Nothing was changed")
    if code in (errcodes.PROCACCESS_DENIED, errcodes.DB_ACCESS_DENIED, errcodes.TABLEACCESS_DENIED):
        error = AccountError(f"the service account may not run {procedure}: {server_message(exc)}",
                             "Run `hms db migrate` to create the account procedures and grants")
    else:
        error = AccountError(f"{procedure} failed on the server: {server_message(exc)}",
                             "Nothing was left half-done; fix the cause and try again")
    error.server_failure = True
    return error


def _cli_roles(csv: str | None) -> list[str]:
    return [BY_MYSQL_ROLE[r].name for r in (csv or "").split(",") if r in BY_MYSQL_ROLE]


def _shown(value) -> str:
    text = str(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= 40 else text[:37] + "..."


def cli_actor() -> str:
    """How a command-line user is named in the audit log: cli:<login name>."""
    return f"cli:{getpass.getuser()}"


@contextlib.contextmanager
def open_manager(settings: Settings, actor: str, source: str) -> Iterator[AccountManager]:
    """Yield the CLI's AccountManager: the service account, vouched for by the administrative login.

    Whoever runs `hms users` holds the administrative login already (the URL's, or the
    embedded server's client.cnf), so it may grant and change admin and dba accounts.
    """
    with service_session(service_login(settings)) as conn:
        yield AccountManager(conn, settings.database, actor=actor, source=source, admin=admin_login(settings))
