"""Applying one file: a versioned file statement by statement, resumable after a failure;
a repeatable file without ever losing the live object it replaces.

Versioned files: MySQL cannot roll DDL back, so each statement that succeeds is recorded
in the history (history.progress) as it succeeds. A retry after a failure, or after the
tool was killed, skips the leading statements recorded by the failed attempt whose text
is unchanged (by checksum), and runs the rest. An edited statement is never skipped.

Repeatable routine and trigger files: see objects.py (check under a scratch name, keep
the live definition, restore it if the file still fails).
"""

from __future__ import annotations

import time

import pymysql

from .. import grants
from ..connection import server_message
from ..errors import MigrationError
from . import history, objects
from .files import SqlFile

FIX = "Fix the file and run `hms db migrate` again"
# Groups whose files create routines or triggers, checked against the server.
OBJECT_GROUPS = ("routines", "triggers")


def apply_versioned(conn, sql_file: SqlFile) -> int:
    """Run a versioned file, skipping statements a failed attempt already ran; return its ms."""
    statements = sql_file.statements()
    earlier = history.done_before(conn, sql_file)
    checksums = [history.statement_checksum(s.sql) for s in statements]
    skip = 0
    while skip < min(len(earlier), len(checksums)) and earlier[skip] == checksums[skip]:
        skip += 1
    done = checksums[:skip]
    started = time.monotonic()
    rank = history.begin(conn, sql_file, done)
    statement = None
    try:
        with conn.cursor() as cur:
            for statement in statements[skip:]:
                cur.execute(statement.sql)
                while cur.nextset():
                    pass
                done.append(checksums[len(done)])
                history.progress(conn, rank, done)
    except pymysql.err.MySQLError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        message = f"line {statement.line}: {server_message(exc)}"
        history.finish(conn, rank, elapsed, False, message)
        kept = (f"; the {len(done)} statement(s) before it succeeded and will be skipped on the retry"
                if done else "")
        raise MigrationError(f"{sql_file.relpath} failed at {message}{kept}", FIX) from None
    elapsed = int((time.monotonic() - started) * 1000)
    history.finish(conn, rank, elapsed, True, None)
    return elapsed


def apply_repeatable(conn, sql_file: SqlFile, database: str) -> int:
    """Run a repeatable file; a routine or trigger it fails to create keeps its old definition."""
    statements = sql_file.statements()
    created = objects.created_objects(statements) if sql_file.group in OBJECT_GROUPS else []
    started = time.monotonic()
    current_line = 1
    kept: list[objects.KeptDefinition] = []
    touched = False
    try:
        for obj in created:  # compiled under a scratch name before the live object is touched
            current_line = obj.statement.line
            objects.check(conn, obj)
        kept = objects.keep(conn, created, database)
        touched = True
        if sql_file.group == "roles":
            grants.reset_role(conn, sql_file.object_name, database)
        with conn.cursor() as cur:
            for statement in statements:
                current_line = statement.line
                cur.execute(statement.sql)
                while cur.nextset():
                    pass
    except pymysql.err.MySQLError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        message = f"line {current_line}: {server_message(exc)}"
        history.record(conn, sql_file, elapsed, False, message)
        raise MigrationError(f"{sql_file.relpath} failed at {message}{_aftermath(conn, created, kept, touched)}",
                             FIX) from None
    elapsed = int((time.monotonic() - started) * 1000)
    history.record(conn, sql_file, elapsed, True, None)
    return elapsed


def _aftermath(conn, created: list[objects.CreatedObject], kept: list[objects.KeptDefinition],
               touched: bool) -> str:
    """Restore what a failed file dropped; return what to tell the user about its objects."""
    if not created:
        return ""
    if not touched:
        return "; the live definition was not touched"
    lost = objects.restore(conn, kept)
    if lost:
        return f"; {', '.join(lost)} could not be restored and is missing from the server"
    if kept:
        return "; the previous definition was restored"
    return ""
