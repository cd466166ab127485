"""`hms db verify`: compare the live database with what sql/ would build.

The reference is built, not guessed: sql/ is migrated into a scratch database on the
same server (roles into scratch roles), both are read from information_schema and
SHOW GRANTS, and every difference is listed. The scratch objects are always dropped.
"""

from __future__ import annotations

import re
import secrets

import pymysql

from . import catalog
from .db import ConnectionInfo, connect, database_error
from .migrate import COMPANION_SCHEMAS, GRANT_LINE, Migrator
from .sqlfiles import SqlFile, split_statements
from .config import quote_identifier


def verify(info: ConnectionInfo, sql_root=None) -> list[str]:
    """Return every difference between database `info.database` and sql/; empty when clean."""
    database = info.database
    migrator = Migrator(info, sql_root=sql_root)
    problems = [f"{state.file}: {state.state}" for state in migrator.status() if state.state != "applied"]
    scratch = f"hms_verify_{secrets.token_hex(6)}"
    conn = connect(info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,))
            if cur.fetchone()[0] == 0:
                return [f"database {database}: does not exist (run `hms db migrate`)"]
        try:
            Migrator(info.with_database(scratch), sql_root=sql_root, include_roles=False).migrate()
            problems += catalog.differences(catalog.snapshot(conn, database), catalog.snapshot(conn, scratch))
            for suffix, folder in COMPANION_SCHEMAS:
                if (migrator.sql_root / folder).is_dir():
                    live = catalog.snapshot(conn, f"{database}{suffix}")
                    expected = catalog.snapshot(conn, f"{scratch}{suffix}")
                    problems += [f"{folder} schema: {line}" for line in catalog.differences(live, expected)]
            role_files = [f for f in migrator.files() if f.group == "roles"]
            problems += _role_differences(conn, info, role_files, scratch)
        finally:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(scratch)}")
                for suffix, _ in COMPANION_SCHEMAS:
                    cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(scratch + suffix)}")
    finally:
        conn.close()
    return problems


def _role_differences(conn, info: ConnectionInfo, role_files: list[SqlFile], scratch: str) -> list[str]:
    """Apply each role file to a scratch role in the scratch database and compare grants."""
    problems: list[str] = []
    suffix = scratch.removeprefix("hms_verify_")
    scratch_conn = connect(info.with_database(scratch))
    try:
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
    finally:
        scratch_conn.close()
    return problems


def _grants(conn, role: str, schema: str, as_schema: str) -> set[str] | None:
    """Return the role's privilege grants on *.* and `schema`, with `schema` renamed to as_schema."""
    with conn.cursor() as cur:
        try:
            cur.execute("SHOW GRANTS FOR %s", (role,))
        except pymysql.err.MySQLError:
            return None
        lines = [row[0] for row in cur.fetchall()]
    grants = set()
    for line in lines:
        match = GRANT_LINE.match(line.strip())
        if not match:
            continue
        target = match.group("target")
        companions = tuple(f"`{schema}{suffix}`." for suffix, _ in COMPANION_SCHEMAS)
        if not target.split(" ", 1)[-1].startswith((f"`{schema}`.", "*.*") + companions):
            continue
        if match.group("privs") == "USAGE" and not match.group("option"):
            continue
        privileges = ", ".join(sorted(p.strip() for p in match.group("privs").split(",")))
        for suffix, _ in COMPANION_SCHEMAS:
            target = target.replace(f"`{schema}{suffix}`.", f"`{as_schema}{suffix}`.")
        target = target.replace(f"`{schema}`.", f"`{as_schema}`.")
        grants.add(f"{privileges} ON {target}" + (" WITH GRANT OPTION" if match.group("option") else ""))
    return grants
