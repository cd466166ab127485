"""The routines and triggers a repeatable file creates, and replacing them without losing them.

A repeatable file is `DROP ... IF EXISTS; CREATE ...`, and MySQL cannot roll DDL back,
so the runner replaces an object in three moves (see runner.py):

1. check: the new CREATE runs first under a scratch name, so a definition the server
   refuses fails before the live object is touched. A routine is created as
   `hms_chk_<hex>` and dropped; a trigger is created on an empty scratch copy of its
   table (`CREATE TABLE ... LIKE`, so NEW/OLD columns resolve the same), and the copy
   is dropped with it: a trigger under a scratch name on the live table would fire on
   live writes, and MySQL 8 has no CREATE OR REPLACE TRIGGER.
2. keep: the live definitions are read with SHOW CREATE (with the sql_mode they were
   created under) before the file runs.
3. restore: if the file still fails, the kept definitions are put back.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pymysql

from ..connection import SQL_MODE
from ..identifiers import quote_identifier
from .statements import Statement

# The kinds a repeatable file may create, as SQL keywords (a fixed list: never user text).
KINDS = ("PROCEDURE", "FUNCTION", "TRIGGER")
_NAME = r"(?:`(?P<qname>[^`]+)`|(?P<name>[A-Za-z0-9_$]+))"
CREATE_OBJECT = re.compile(
    r"\A\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=\s*\S+\s+)?(?:AGGREGATE\s+)?"
    r"(?P<kind>PROCEDURE|FUNCTION|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME, re.IGNORECASE)
TRIGGER_TABLE = re.compile(
    r"\b(?:BEFORE|AFTER)\s+(?:INSERT|UPDATE|DELETE)\s+ON\s+" + _NAME, re.IGNORECASE)

EXISTING = """
SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s
UNION ALL
SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s
"""


@dataclass(frozen=True)
class CreatedObject:
    """A routine or trigger that one statement of a file creates."""

    kind: str        # PROCEDURE, FUNCTION or TRIGGER
    name: str
    statement: Statement

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name.lower())


@dataclass(frozen=True)
class KeptDefinition:
    """A live object's CREATE statement and the sql_mode it was created under."""

    kind: str
    name: str
    sql_mode: str
    create_sql: str


def created_objects(statements: list[Statement]) -> list[CreatedObject]:
    """Return the routines and triggers the statements create, in order."""
    found = []
    for statement in statements:
        match = CREATE_OBJECT.match(statement.sql)
        if match:
            found.append(CreatedObject(match.group("kind").upper(),
                                       match.group("qname") or match.group("name"), statement))
    return found


def existing(conn, schema: str) -> set[tuple[str, str]]:
    """Return (kind, lower-case name) of every routine and trigger in `schema`."""
    with conn.cursor() as cur:
        cur.execute(EXISTING, (schema, schema))
        return {(kind.upper(), name.lower()) for kind, name in cur.fetchall()}


def check(conn, obj: CreatedObject) -> None:
    """Run obj's CREATE under a scratch name (a trigger on a scratch table) and drop it again.

    Raises the server's error when the definition is refused; the live object is untouched.
    """
    scratch = f"hms_chk_{secrets.token_hex(4)}"
    sql = _rename(CREATE_OBJECT, obj.statement.sql, scratch)
    with conn.cursor() as cur:
        if obj.kind != "TRIGGER":
            try:
                cur.execute(sql)
            finally:
                cur.execute(f"DROP {obj.kind} IF EXISTS {quote_identifier(scratch)}")
            return
        match = TRIGGER_TABLE.search(sql)
        if match is None:
            return  # nothing to copy the table from: the real CREATE will say what is wrong
        table = match.group("qname") or match.group("name")
        sql = _rename(TRIGGER_TABLE, sql, scratch)
        cur.execute(f"CREATE TABLE {quote_identifier(scratch)} LIKE {quote_identifier(table)}")
        try:
            cur.execute(sql)
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {quote_identifier(scratch)}")


def keep(conn, objects: list[CreatedObject], schema: str) -> list[KeptDefinition]:
    """Return the live definitions of those of `objects` that exist in `schema`."""
    present = existing(conn, schema)
    kept = []
    with conn.cursor() as cur:
        for obj in objects:
            if obj.key not in present:
                continue
            cur.execute(f"SHOW CREATE {obj.kind} {quote_identifier(obj.name)}")
            row = cur.fetchone()
            if row and row[2]:
                kept.append(KeptDefinition(obj.kind, obj.name, row[1], row[2]))
    return kept


def restore(conn, kept: list[KeptDefinition]) -> list[str]:
    """Put kept definitions back (each dropped first); return the names that could not be."""
    lost = []
    with conn.cursor() as cur:
        for definition in kept:
            try:
                cur.execute(f"DROP {definition.kind} IF EXISTS {quote_identifier(definition.name)}")
                cur.execute("SET SESSION sql_mode = %s", (definition.sql_mode,))
                try:
                    cur.execute(definition.create_sql)
                finally:
                    cur.execute("SET SESSION sql_mode = %s", (SQL_MODE,))
            except pymysql.err.MySQLError:
                lost.append(definition.name)
    return lost


def _rename(pattern: re.Pattern, sql: str, new_name: str) -> str:
    """Return sql with the name `pattern` captures (first match) replaced by new_name."""
    match = pattern.search(sql)
    group = "qname" if match.group("qname") is not None else "name"
    start, end = match.span(group)
    if group == "qname":
        start, end = start - 1, end + 1
    return sql[:start] + quote_identifier(new_name) + sql[end:]
