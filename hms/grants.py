"""SHOW GRANTS, read in one place: the lines a grantee holds, parsed, scoped, undone.

Privilege lines look like ``GRANT SELECT, INSERT ON `hms`.* TO `hms_qa` [WITH GRANT OPTION]``
on both MariaDB and MySQL 8; role lines (``GRANT `hms_qa` TO `alice`@`%` ``) have no ON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pymysql

from . import errcodes
from .connection import error_code
from .databases import CONSOLE_SCHEMA_SUFFIX

# A privilege line: privileges, target (maybe 'PROCEDURE `db`.`p`'), grantee, grant option.
GRANT_LINE = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<target>\S+(?: \S+)?) TO (?P<grantee>\S+)"
                        r"(?P<option> WITH GRANT OPTION)?$")
# Any GRANT line: what is granted (with its ON clause), to whom, and the trailing option.
GRANT_TEXT = re.compile(r"^GRANT (?P<body>.+) TO \S+?(?P<option> WITH GRANT OPTION| WITH ADMIN OPTION)?$")
# MariaDB's SHOW GRANTS shows the password hash or authentication plugin data in the USAGE
# line (IDENTIFIED BY PASSWORD '*...', IDENTIFIED VIA p USING '...' [OR ...]), before any
# REQUIRE or WITH. account_grants never returns it; lines read as the administrative login
# lose it here before they are shown.
SECRET_CLAUSE = re.compile(r" IDENTIFIED (?:BY PASSWORD '[^']*'|VIA .*?)(?= REQUIRE | WITH |$)")
# SHOW GRANTS FOR a grantee the server does not know.
UNKNOWN_GRANTEE = (errcodes.NONEXISTING_GRANT, errcodes.CANNOT_USER, errcodes.NO_SUCH_USER)


@dataclass(frozen=True)
class Grant:
    """One privilege line of SHOW GRANTS."""

    privileges: str
    target: str          # '`hms`.*', '*.*' or 'PROCEDURE `hms`.`p`'
    grantee: str
    grant_option: bool

    @property
    def bare_target(self) -> str:
        """The target without its FUNCTION / PROCEDURE keyword."""
        return self.target.split(" ", 1)[-1]

    def on_any(self, databases: tuple[str, ...]) -> bool:
        """True when the grant is server-wide or on one of `databases`."""
        return self.bare_target.startswith(("*.*",) + tuple(f"`{name}`." for name in databases))

    @property
    def is_bare_usage(self) -> bool:
        """True for the 'USAGE ON *.*' line every account has, which grants nothing."""
        return self.privileges == "USAGE" and not self.grant_option


def parse(line: str) -> Grant | None:
    """Return the privilege grant a SHOW GRANTS line states, or None (role grants, proxies)."""
    match = GRANT_LINE.match(line.strip())
    if not match:
        return None
    return Grant(match.group("privs"), match.group("target"), match.group("grantee"),
                 bool(match.group("option")))


def show_grants(conn, grantee: str) -> list[str] | None:
    """Return the SHOW GRANTS lines of a role or 'user'@'host'; None when the server has no such grantee."""
    with conn.cursor() as cur:
        try:
            cur.execute("SHOW GRANTS FOR %s", (grantee,))
        except pymysql.err.MySQLError as exc:
            if error_code(exc) in UNKNOWN_GRANTEE:
                return None
            raise
        return [row[0] for row in cur.fetchall()]


def hms_scope(database: str) -> tuple[str, ...]:
    """The databases whose grants an hms role file states: `database` and its console schema."""
    return (database, f"{database}{CONSOLE_SCHEMA_SUFFIX}")


def revokes_for_grants(lines: list[str], database: str) -> list[str]:
    """Return the REVOKE statements undoing privilege lines on *.*, `database` or its console schema."""
    revokes = []
    for grant in filter(None, map(parse, lines)):
        if grant.is_bare_usage or not grant.on_any(hms_scope(database)):
            continue
        if grant.privileges != "USAGE":
            revokes.append(f"REVOKE {grant.privileges} ON {grant.target} FROM {grant.grantee}")
        if grant.grant_option:
            revokes.append(f"REVOKE GRANT OPTION ON {grant.target} FROM {grant.grantee}")
    return revokes


def reset_role(conn, role: str, database: str) -> None:
    """Revoke what `role` holds server-wide and on `database`, so its file grants exactly.

    Grants on other databases are left alone. A role that does not exist yet holds nothing.
    """
    lines = show_grants(conn, role)
    with conn.cursor() as cur:
        for revoke in revokes_for_grants(lines or [], database):
            cur.execute(revoke)


def privilege_text(line: str) -> str:
    """'GRANT SELECT ON `hms`.* TO `hms_analyst`' -> 'SELECT ON `hms`.*'."""
    match = GRANT_TEXT.match(line.strip())
    if not match:
        return line
    return match.group("body") + (match.group("option") or "")


def without_secret(line: str) -> str:
    """A SHOW GRANTS line without its password hash or authentication clause."""
    return SECRET_CLAUSE.sub("", line)
