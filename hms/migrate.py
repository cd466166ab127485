"""The migration runner: applies sql/ to a database and keeps a true history of it.

Versioned files run once, in version order; an applied file that was edited is an
error. Repeatable files (routines, triggers, roles) are re-run when their checksum
changes, after the versioned ones; roles also after any routine was re-created,
since dropping a routine can drop the grants on it. An advisory lock keeps two runs
apart, and every attempt, failed ones included, is recorded with the server's message.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pymysql

from . import dialect as dialects
from . import errcodes
from .db import ConnectionInfo, connect, error_code, server_message
from .errors import MigrationError
from . import sqlfiles
from .sqlfiles import SqlFile, discover
from .config import quote_identifier

HISTORY_TABLE = "hms_schema_history"

CREATE_HISTORY = f"""
CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
    installed_rank INT UNSIGNED NOT NULL AUTO_INCREMENT,
    version        INT UNSIGNED NULL,
    kind           ENUM('versioned', 'repeatable') NOT NULL,
    file           VARCHAR(255) NOT NULL,
    checksum       CHAR(64)     NOT NULL,
    installed_by   VARCHAR(300) NOT NULL,
    installed_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    execution_ms   INT UNSIGNED NOT NULL,
    success        BOOLEAN      NOT NULL,
    error_message  TEXT         NULL,
    PRIMARY KEY (installed_rank),
    KEY idx_{HISTORY_TABLE}_file (file)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
"""

SELECT_HISTORY = f"""
SELECT installed_rank, version, kind, file, checksum, installed_by, installed_at,
       execution_ms, success, error_message
  FROM {HISTORY_TABLE} ORDER BY installed_rank
"""

INSERT_HISTORY = f"""
INSERT INTO {HISTORY_TABLE}
    (version, kind, file, checksum, installed_by, execution_ms, success, error_message)
VALUES (%s, %s, %s, %s, CURRENT_USER(), %s, %s, %s)
"""

LOCK_WAIT_SECONDS = 0

# Schemas migrated together with the main one, each from its own folder under sql/
# and named <database><suffix>. sql/console holds the console's admins, audit log and
# the account procedures: kept out of the main schema, where hms_admin holds ALL
# PRIVILEGES (EXECUTE included) and every role may SELECT.
COMPANION_SCHEMAS: tuple[tuple[str, str], ...] = (("_console", "console"),)


def companion_database(database: str, suffix: str = "_console") -> str:
    """Return the name of `database`'s companion schema, e.g. hms_console."""
    name = f"{database}{suffix}"
    if len(name) > 64:
        raise MigrationError(f"the companion schema name '{name}' is longer than 64 characters",
                             f"Use a database name of at most {64 - len(suffix)} characters")
    return name

# A GRANT line from SHOW GRANTS: privileges, target, grantee, optional grant option.
GRANT_LINE = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<target>\S+(?: \S+)?) TO (?P<grantee>\S+)"
                        r"(?P<option> WITH GRANT OPTION)?$")


@dataclass(frozen=True)
class HistoryRow:
    """One recorded attempt to apply a file."""

    rank: int
    version: int | None
    kind: str
    file: str
    checksum: str
    installed_by: str
    installed_at: object
    execution_ms: int
    success: bool
    error_message: str | None


@dataclass(frozen=True)
class FileState:
    """A file's state against the history: applied, pending, changed, failed or missing."""

    file: str
    kind: str
    state: str
    checksum: str
    applied_checksum: str | None = None
    sql_file: SqlFile | None = None

    def as_dict(self) -> dict:
        return {"file": self.file, "kind": self.kind, "state": self.state, "checksum": self.checksum,
                "applied_checksum": self.applied_checksum}


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
    # Files of the companion schemas (<database>_console), applied before `applied`.
    companions: list[tuple[Step, int]] = field(default_factory=list)


class Migrator:
    """Applies and inspects the migrations of `sql_root` in the database `info.database`."""

    def __init__(self, info: ConnectionInfo, sql_root: Path | None = None, include_roles: bool = True,
                 on_step: Callable[[Step], None] | None = None, companions: bool = True,
                 label: str = "sql"):
        if not info.database:
            raise MigrationError("no database was named", "Pass --database or set HMS_DATABASE")
        self.info = info
        self.database = info.database
        self.sql_root = sql_root or sqlfiles.SQL_ROOT
        self.include_roles = include_roles
        self.on_step = on_step or (lambda step: None)
        self.companions = companions
        self.label = label  # how file names are shown and recorded: sql/... or sql/console/...

    def companion_migrators(self) -> list["Migrator"]:
        """Migrators of the companion schemas whose folder exists under sql_root (applied first)."""
        if not self.companions:
            return []
        return [Migrator(self.info.with_database(companion_database(self.database, suffix)),
                         sql_root=Path(self.sql_root) / folder, on_step=self.on_step, companions=False,
                         label=f"{self.label}/{folder}")
                for suffix, folder in COMPANION_SCHEMAS if (Path(self.sql_root) / folder).is_dir()]

    # -- reading -------------------------------------------------------------
    def files(self) -> list[SqlFile]:
        """The migration files, in the order a run applies them."""
        found = discover(self.sql_root, label=self.label)
        if not self.include_roles:
            found = [f for f in found if f.group != "roles"]
        return found

    def history(self) -> list[HistoryRow]:
        """Every recorded attempt, oldest first; empty when nothing was ever applied."""
        conn = connect(self.info, database=None)
        try:
            return self._read_history(conn)
        finally:
            conn.close()

    def status(self) -> list[FileState]:
        """Each file's state (companion schemas' first), then files gone from sql/."""
        history = self.history()
        companions = [state for companion in self.companion_migrators() for state in companion.status()]
        files = self.files()
        states = companions + [self._state(f, history) for f in files]
        known = {f.relpath for f in files}
        for row in history:
            if row.file not in known and row.success:
                known.add(row.file)
                states.append(FileState(row.file, row.kind, "missing", row.checksum, row.checksum))
        return states

    def plan(self, reapply: bool = False) -> list[Step]:
        """The files the next run would apply, in order; raises on an edited versioned file."""
        history = self.history()
        return self._plan(history, reapply)

    # -- writing -------------------------------------------------------------
    def migrate(self, dry_run: bool = False, reapply: bool = False) -> MigrationResult:
        """Apply what is pending; with dry_run, only return what would run.

        reapply re-runs every repeatable file (routines, triggers, roles) whatever its
        checksum: the repair for an object dropped or altered by hand.
        """
        if dry_run:
            steps = [step for companion in self.companion_migrators() for step in companion.plan(reapply)]
            return MigrationResult(applied=[(step, 0) for step in self.plan(reapply)], dry_run=True,
                                   companions=[(step, 0) for step in steps])
        # Companions first: the role files grant on their tables (the Auditor reads the audit log).
        companion_applied = [item for companion in self.companion_migrators()
                             for item in companion.migrate(reapply=reapply).applied]
        conn = connect(self.info, database=None)
        try:
            dialect = dialects.for_connection(conn)
            self._create_database(conn, dialect)
            self._lock(conn)
            try:
                conn.select_db(self.database)
                with conn.cursor() as cur:
                    cur.execute(CREATE_HISTORY)
                steps = self._plan(self._read_history(conn), reapply)
                for step in steps:  # a malformed file stops the run before anything is applied
                    step.sql_file.statements()
                result = MigrationResult(companions=companion_applied)
                for step in steps:
                    self.on_step(step)
                    elapsed = self._apply(conn, step)
                    result.applied.append((step, elapsed))
                return result
            finally:
                self._unlock(conn)
        finally:
            conn.close()

    # -- internals -------------------------------------------------------------
    def _read_history(self, conn) -> list[HistoryRow]:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (self.database, HISTORY_TABLE))
            if cur.fetchone()[0] == 0:
                return []
            cur.execute(SELECT_HISTORY.replace(HISTORY_TABLE, f"{quote_identifier(self.database)}.{HISTORY_TABLE}"))
            return [HistoryRow(*row[:8], bool(row[8]), row[9]) for row in cur.fetchall()]

    def _state(self, sql_file: SqlFile, history: list[HistoryRow]) -> FileState:
        rows = [r for r in history if r.file == sql_file.relpath]
        successes = [r for r in rows if r.success]
        current = sql_file.checksum
        if not rows:
            state, applied = "pending", None
        elif not successes:
            state, applied = "failed", None
        else:
            applied = successes[-1].checksum
            if sql_file.kind == "versioned":
                state = "applied" if successes[0].checksum == current else "changed"
                applied = successes[0].checksum
            else:
                state = "applied" if applied == current else "changed"
            if rows[-1] is not successes[-1] and state == "changed":
                state = "failed"
        return FileState(sql_file.relpath, sql_file.kind, state, current, applied, sql_file)

    def _plan(self, history: list[HistoryRow], reapply: bool = False) -> list[Step]:
        states = [self._state(f, history) for f in self.files()]
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
            reason = {"pending": "new", "changed": "changed", "failed": "retry after failure"}[state.state]
            steps.append(Step(sql_file, reason))
            if sql_file.group == "routines":
                routine_changed = True
        return steps

    def _create_database(self, conn, dialect: dialects.Dialect) -> None:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(self.database)} "
                        f"CHARACTER SET utf8mb4 COLLATE {dialect.default_collation}")

    def _lock_name(self) -> str:
        return "hms_migrate_" + hashlib.sha1(self.database.encode()).hexdigest()[:20]

    def _lock(self, conn) -> None:
        with conn.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, %s)", (self._lock_name(), LOCK_WAIT_SECONDS))
            if cur.fetchone()[0] != 1:
                raise MigrationError(f"another migration of '{self.database}' is running",
                                     "Wait for it to finish, then run `hms db migrate` again")

    def _unlock(self, conn) -> None:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT RELEASE_LOCK(%s)", (self._lock_name(),))
        except pymysql.err.MySQLError:
            pass  # the lock dies with the session anyway

    def _apply(self, conn, step: Step) -> int:
        sql_file = step.sql_file
        statements = sql_file.statements()
        started = time.monotonic()
        current_line = 1
        try:
            if sql_file.group == "roles":
                reset_role(conn, sql_file.object_name, self.database)
            with conn.cursor() as cur:
                for statement in statements:
                    current_line = statement.line
                    cur.execute(statement.sql)
                    while cur.nextset():
                        pass
        except pymysql.err.MySQLError as exc:
            elapsed = int((time.monotonic() - started) * 1000)
            message = f"line {current_line}: {server_message(exc)}"
            self._record(conn, sql_file, elapsed, False, message)
            raise MigrationError(f"{sql_file.relpath} failed at {message}",
                                 "Fix the file and run `hms db migrate` again") from None
        elapsed = int((time.monotonic() - started) * 1000)
        self._record(conn, sql_file, elapsed, True, None)
        return elapsed

    def _record(self, conn, sql_file: SqlFile, elapsed: int, success: bool, error: str | None) -> None:
        with conn.cursor() as cur:
            cur.execute(INSERT_HISTORY, (sql_file.version, sql_file.kind, sql_file.relpath,
                                         sql_file.checksum, elapsed, success, error))


def reset_role(conn, role: str, database: str) -> None:
    """Revoke what `role` holds server-wide and on `database`, so its file grants exactly.

    Grants on other databases are left alone. A role that does not exist yet holds nothing.
    """
    with conn.cursor() as cur:
        try:
            cur.execute("SHOW GRANTS FOR %s", (role,))
        except pymysql.err.MySQLError as exc:
            if error_code(exc) in (errcodes.NONEXISTING_GRANT, 1396, 1449):
                return
            raise
        lines = [row[0] for row in cur.fetchall()]
        for revoke in revokes_for_grants(lines, database):
            cur.execute(revoke)


def revokes_for_grants(lines: list[str], database: str) -> list[str]:
    """Return the REVOKE statements undoing privilege GRANT lines on *.* or `database`."""
    revokes = []
    scope = (f"`{database}`.", "*.*") + tuple(f"`{database}{suffix}`." for suffix, _ in COMPANION_SCHEMAS)
    for line in lines:
        match = GRANT_LINE.match(line.strip())
        if not match or match.group("privs") == "USAGE" and not match.group("option"):
            continue
        target = match.group("target")
        bare = target.split(" ", 1)[-1]
        if not bare.startswith(scope):
            continue
        grantee = match.group("grantee")
        if match.group("privs") != "USAGE":
            revokes.append(f"REVOKE {match.group('privs')} ON {target} FROM {grantee}")
        if match.group("option"):
            revokes.append(f"REVOKE GRANT OPTION ON {target} FROM {grantee}")
    return revokes
