"""`hms db verify`: compare the live database with what sql/ would build.

The reference is built, not guessed: sql/ is migrated into a scratch database on the
same server (roles into scratch roles), both are read from information_schema and
SHOW GRANTS, and every difference is listed. The scratch objects are always dropped,
and a run first removes those a killed run left behind (see hms/scratch.py).
"""

from __future__ import annotations

import re

import pymysql

from .. import grants
from .. import scratch as scratches
from ..connection import ConnectionInfo, database_error, session
from ..databases import (
    CONSOLE_SQL_FOLDER,
    console_schema,
    database_exists,
    drop_database,
)
from . import snapshot
from .files import SqlFile
from .runner import Migrator
from .statements import split_statements

SCRATCH_PREFIX = "hms_verify_"
SCRATCH_ROLE_TAG = re.compile(r"[0-9a-f]{6}|[0-9a-f]{12}")  # (12: names from before hms/scratch.py)
SCRATCH_ROLES = "SELECT DISTINCT User FROM mysql.user WHERE User LIKE %s"


def verify_database(info: ConnectionInfo, sql_root=None) -> list[str]:
    """Return every difference between database `info.database` and sql/; empty when clean."""
    database = info.database
    migrator = Migrator(info, sql_root=sql_root)
    problems = [f"{state.file}: {state.state}" for state in migrator.status() if state.state != "applied"]
    with session(info, database=None) as conn:
        if not database_exists(conn, database):
            return [f"database {database}: does not exist (run `hms db migrate`)"]
        remove_leftovers(conn, [f.object_name for f in migrator.files() if f.group == "roles"])
        scratch = scratches.scratch_name(conn, SCRATCH_PREFIX)
        try:
            Migrator(info.with_database(scratch), sql_root=sql_root, include_roles=False).migrate()
            problems += snapshot.differences(snapshot.snapshot(conn, database, trigger_modes=True),
                                             snapshot.snapshot(conn, scratch, trigger_modes=True))
            if (migrator.sql_root / CONSOLE_SQL_FOLDER).is_dir():
                live = snapshot.snapshot(conn, console_schema(database), trigger_modes=True)
                expected = snapshot.snapshot(conn, console_schema(scratch), trigger_modes=True)
                problems += [f"{CONSOLE_SQL_FOLDER} schema: {line}"
                             for line in snapshot.differences(live, expected)]
            role_files = [f for f in migrator.files() if f.group == "roles"]
            problems += _role_differences(conn, info, role_files, scratch)
        finally:
            drop_database(conn, scratch)
            drop_database(conn, console_schema(scratch))
    return problems


def remove_leftovers(conn, roles: list[str]) -> tuple[list[str], list[str]]:
    """Drop the scratch databases and roles of killed verify runs; return (databases, roles)."""
    databases = scratches.remove_stale(conn, SCRATCH_PREFIX)
    in_use = scratches.tags_in_use(conn, SCRATCH_PREFIX)
    dropped = []
    with conn.cursor() as cur:
        for role in roles:
            cur.execute(SCRATCH_ROLES, (role.replace("_", "\\_") + "\\_v%",))
            for (name,) in cur.fetchall():
                tag = name[len(role) + 2:]
                if SCRATCH_ROLE_TAG.fullmatch(tag) and tag not in in_use:
                    cur.execute("DROP ROLE IF EXISTS %s", (name,))
                    dropped.append(name)
    return databases, dropped


def _role_differences(conn, info: ConnectionInfo, role_files: list[SqlFile], scratch: str) -> list[str]:
    """Apply each role file to a scratch role in the scratch database and compare grants."""
    problems: list[str] = []
    suffix = scratches.tag(scratch, SCRATCH_PREFIX)
    with session(info.with_database(scratch)) as scratch_conn:
        for role_file in role_files:
            role = role_file.object_name
            scratch_role = f"{role}_v{suffix}"
            text = re.sub(rf"\b{re.escape(role)}\b", scratch_role, role_file.text)
            try:
                try:
                    with scratch_conn.cursor() as cur:
                        for statement in split_statements(text, role_file.relpath):
                            cur.execute(statement.sql)
                    expected = _grants(scratch_conn, scratch_role, scratch, info.database)
                finally:
                    with scratch_conn.cursor() as cur:
                        cur.execute("DROP ROLE IF EXISTS %s", (scratch_role,))
            except pymysql.err.MySQLError as exc:
                raise database_error(exc, f"building the reference for role {role}",
                                     "Check that the account in --url may create roles") from None
            actual = _grants(conn, role, info.database, info.database)
            if actual is None:
                problems.append(f"role {role}: in sql/, missing from the server")
                continue
            problems += [f"role {role}: lacks `{grant}`" for grant in sorted(expected - actual)]
            problems += [f"role {role}: holds `{grant}`, which sql/ does not grant"
                         for grant in sorted(actual - expected)]
    return problems


def _grants(conn, role: str, schema: str, as_schema: str) -> set[str] | None:
    """Return the role's privilege grants on *.* and `schema` (and its console schema), renamed to as_schema."""
    lines = grants.show_grants(conn, role)
    if lines is None:
        return None
    found = set()
    for grant in filter(None, map(grants.parse, lines)):
        if grant.is_bare_usage or not grant.on_any(grants.hms_scope(schema)):
            continue
        privileges = ", ".join(sorted(p.strip() for p in grant.privileges.split(",")))
        target = grant.target.replace(f"`{console_schema(schema)}`.", f"`{console_schema(as_schema)}`.")
        target = target.replace(f"`{schema}`.", f"`{as_schema}`.")
        found.add(f"{privileges} ON {target}" + (" WITH GRANT OPTION" if grant.grant_option else ""))
    return found
