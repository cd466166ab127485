"""The migration runner: applies sql/ to a database and keeps a true history of it.

Versioned files run once, in version order; an applied file that was edited is an
error. Repeatable files (routines, triggers, roles) are re-run when their checksum
changes, after the versioned ones; roles also after any routine was re-created,
since dropping a routine can drop the grants on it. A lock (lock.py: GET_LOCK, or on a
Galera cluster a replicated lock row) keeps two runs apart, and every attempt, failed
ones included, is recorded with the server's message.

"Applied" is what the server holds, not only what the history says: a routine, trigger
or role file whose object is missing from the server (dropped by hand, or lost to a
crash) is `absent` in `status()` and re-created by the next run. A routine or trigger file
removed from sql/ has its object dropped by the next run (retired.py).

A failed routine or trigger file never deletes the live object. MySQL cannot roll DDL
back and MySQL 8 has no CREATE OR REPLACE for routines or triggers, so the same scheme
serves both families (see objects.py): the new CREATE is first compiled under a scratch
name (a routine as hms_chk_<hex>, a trigger on an empty scratch copy of its table, so it
never fires on live rows); the live definition is read with SHOW CREATE; the file runs;
and if it still fails, the kept definition is re-created under its sql_mode. Between the
file's DROP and CREATE a concurrent caller can still, for milliseconds, find no object.

A versioned file that fails part-way is retryable: each statement is recorded as it
succeeds and skipped on the retry while its text is unchanged (see apply.py).
The console schema (<database>_console, from sql/console/) is migrated first, by a
runner of its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import pymysql

from .. import dialect as dialects
from .. import grants, scratch
from ..connection import ConnectionInfo, session
from ..databases import CONSOLE_SQL_FOLDER, console_schema, create_database
from ..errors import MigrationError, SqlFileError
from . import files as sql_files
from . import history, lock, objects, retired
from .apply import OBJECT_GROUPS, apply_repeatable, apply_versioned
from .files import SqlFile, discover
from .history import FileState, HistoryRow

LOCK_WAIT_SECONDS = 0


@dataclass(frozen=True)
class Step:
    """A file the next run will apply, and why."""

    sql_file: SqlFile
    reason: str


@dataclass
class MigrationResult:
    """What a run applied, and how long each file took."""

    applied: list[tuple[Step, int]] = field(default_factory=list)
    dry_run: bool = False
    # Files of the console schema (<database>_console), applied before `applied`.
    console: list[tuple[Step, int]] = field(default_factory=list)
    # (kind, name) of the routines and triggers dropped because their files left sql/ (retired.py).
    retired: list[tuple[str, str]] = field(default_factory=list)

    @property
    def all_applied(self) -> list[tuple[Step, int]]:
        """Every file applied, in the order they ran (the console schema's first)."""
        return self.console + self.applied


class Migrator:
    """Applies and inspects the migrations of `sql_root` in the database `info.database`."""

    def __init__(self, info: ConnectionInfo, sql_root: Path | None = None, include_roles: bool = True,
                 on_step: Callable[[Step], None] | None = None, with_console: bool = True,
                 label: str = "sql"):
        if not info.database:
            raise MigrationError("no database was named", "Pass --database or set HMS_DATABASE")
        self.info = info
        self.database = info.database
        self.sql_root = Path(sql_root or sql_files.SQL_ROOT)  # looked up now, so tests may point it elsewhere
        self.include_roles = include_roles
        self.on_step = on_step or (lambda step: None)
        self.with_console = with_console
        self.label = label  # how file names are shown and recorded: sql/... or sql/console/...

    def console_migrator(self) -> "Migrator | None":
        """The runner of the console schema, when sql_root has a console folder (applied first)."""
        folder = self.sql_root / CONSOLE_SQL_FOLDER
        if not self.with_console or not folder.is_dir():
            return None
        return Migrator(self.info.with_database(console_schema(self.database)), sql_root=folder,
                        on_step=self.on_step, with_console=False, label=f"{self.label}/{CONSOLE_SQL_FOLDER}")

    # -- reading -------------------------------------------------------------
    def files(self) -> list[SqlFile]:
        """The migration files, in the order a run applies them."""
        found = discover(self.sql_root, label=self.label)
        if not self.include_roles:
            found = [f for f in found if f.group != "roles"]
        return found

    def history(self) -> list[HistoryRow]:
        """Every recorded attempt, oldest first; empty when nothing was ever applied."""
        with session(self.info, database=None) as conn:
            return history.read(conn, self.database)

    def status(self) -> list[FileState]:
        """Each file's state (the console schema's first), then files gone from sql/."""
        rows, present = self._server_state()
        console = self.console_migrator()
        files = self.files()
        states = (console.status() if console else []) + self._file_states(rows, present)
        known = {f.relpath for f in files}
        for row in rows:
            if row.file not in known and row.success and not retired.is_retired(row, present):
                known.add(row.file)
                states.append(FileState(row.file, row.kind, "missing", row.checksum, row.checksum))
        return states

    def plan(self, reapply: bool = False) -> list[Step]:
        """The files the next run would apply, in order; raises on an edited versioned file."""
        return self._plan(*self._server_state(), reapply=reapply)

    # -- writing -------------------------------------------------------------
    def migrate(self, dry_run: bool = False, reapply: bool = False) -> MigrationResult:
        """Apply what is pending; with dry_run, only return what would run.

        reapply re-runs every repeatable file (routines, triggers, roles) whatever its
        checksum: the repair for an object dropped or altered by hand.
        """
        console = self.console_migrator()
        if dry_run:
            steps = console.plan(reapply) if console else []
            return MigrationResult(applied=[(step, 0) for step in self.plan(reapply)], dry_run=True,
                                   console=[(step, 0) for step in steps])
        # The console schema first: the role files grant on its tables (the Auditor reads the audit log).
        console_applied = console.migrate(reapply=reapply).applied if console else []
        with session(self.info, database=None) as conn:
            create_database(conn, self.database, dialects.for_connection(conn), if_not_exists=True)
            held = lock.acquire(conn, self.database, self._lock_name(), LOCK_WAIT_SECONDS)
            try:
                conn.select_db(self.database)
                scratch.remove_check_leftovers(conn, self.database)  # of killed runs; see hms/scratch.py
                history.create_table(conn)
                rows, present = history.read(conn, self.database), self._present(conn)
                steps = self._plan(rows, present, reapply=reapply)
                for step in steps:  # a malformed file stops the run before anything is applied
                    step.sql_file.statements()
                result = MigrationResult(console=console_applied,
                                         retired=retired.objects(rows, self.files(), present))
                retired.drop(conn, result.retired)
                for step in steps:
                    lock.renew(conn, held)
                    self.on_step(step)
                    result.applied.append((step, self._apply(conn, step)))
                return result
            finally:
                lock.release(conn, held)

    # -- internals -------------------------------------------------------------
    def _server_state(self) -> tuple[list[HistoryRow], set[tuple[str, str]]]:
        """The history, and the routines, triggers and roles the server holds."""
        with session(self.info, database=None) as conn:
            return history.read(conn, self.database), self._present(conn)

    def _present(self, conn) -> set[tuple[str, str]]:
        """(kind, lower-case name) of this database's routines and triggers and of the roles of sql/."""
        present = objects.existing(conn, self.database)
        for sql_file in self.files():
            if sql_file.group == "roles" and _role_exists(conn, sql_file.object_name):
                present.add(("ROLE", sql_file.object_name.lower()))
        return present

    def _file_states(self, rows: list[HistoryRow], present: set[tuple[str, str]]) -> list[FileState]:
        """Each file's state against the history; an applied file whose object is gone is absent."""
        states = []
        for sql_file in self.files():
            state = history.file_state(sql_file, rows)
            if state.state == "applied" and _absent(sql_file, present):
                state = replace(state, state="absent")
            states.append(state)
        return states

    def _plan(self, rows: list[HistoryRow], present: set[tuple[str, str]], reapply: bool = False) -> list[Step]:
        states = self._file_states(rows, present)
        edited = [s for s in states if s.kind == "versioned" and s.state == "changed"]
        if edited:
            first = edited[0]
            raise MigrationError(
                f"{first.file} was edited after it was applied (checksum {first.checksum[:12]}, "
                f"applied {first.applied_checksum[:12]})"
                + (f"; so were {len(edited) - 1} more" if len(edited) > 1 else ""),
                "Versioned files are never edited once applied: restore it with `git checkout`, "
                "and put the change in a new versioned file")
        steps: list[Step] = []
        routine_changed = False
        for state in states:
            sql_file = state.sql_file
            if state.state == "applied":
                if sql_file.kind == "repeatable" and reapply:
                    steps.append(Step(sql_file, "re-applied on request"))
                elif sql_file.group == "roles" and routine_changed:
                    steps.append(Step(sql_file, "routines were re-created"))
                continue
            reason = {"pending": "new", "changed": "changed", "failed": "retry after failure",
                      "absent": "missing from the server"}[state.state]
            steps.append(Step(sql_file, reason))
            if sql_file.group == "routines":
                routine_changed = True
        return steps

    def _lock_name(self) -> str:
        return "hms_migrate_" + hashlib.sha1(self.database.encode()).hexdigest()[:20]

    def _apply(self, conn, step: Step) -> int:
        if step.sql_file.kind == "versioned":
            return apply_versioned(conn, step.sql_file)
        return apply_repeatable(conn, step.sql_file, self.database)


def _role_exists(conn, role: str) -> bool:
    """True when the server has the role (or when this account may not tell)."""
    try:
        return grants.show_grants(conn, role) is not None
    except pymysql.err.MySQLError:
        return True  # not allowed to look: trust the history


def _absent(sql_file: SqlFile, present: set[tuple[str, str]]) -> bool:
    """True when a routine, trigger or role the file creates is not on the server."""
    if sql_file.group == "roles":
        return ("ROLE", sql_file.object_name.lower()) not in present
    if sql_file.group not in OBJECT_GROUPS:
        return False
    try:
        created = objects.created_objects(sql_file.statements())
    except SqlFileError:
        return False  # malformed: reported when the run tries it
    return any(obj.key not in present for obj in created)
