"""The migration history table: every attempt to apply a file, failed ones included, and
what each file's state is against it.

A versioned file's attempt is recorded when it starts ('in progress') and, after each
statement that succeeds, the statement's checksum is appended to `statements_done`: MySQL
cannot roll DDL back, so a retry after a failure (or a kill) skips the statements that
already ran, as long as their text is unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..identifiers import quote_identifier
from .files import SqlFile

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
    statements_done TEXT        NULL,
    PRIMARY KEY (installed_rank),
    KEY idx_{HISTORY_TABLE}_file (file)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
"""

HAS_HISTORY = ("SELECT COUNT(*) FROM information_schema.TABLES "
               "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s")

# Added after the first release: databases migrated before it get the column from create_table.
PROGRESS_COLUMN = "statements_done"
HAS_PROGRESS_COLUMN = ("SELECT COUNT(*) FROM information_schema.COLUMNS "
                       "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND COLUMN_NAME = %s")
ADD_PROGRESS_COLUMN = f"ALTER TABLE {HISTORY_TABLE} ADD COLUMN {PROGRESS_COLUMN} TEXT NULL"

SELECT_HISTORY = """
SELECT installed_rank, version, kind, file, checksum, installed_by, installed_at,
       execution_ms, success, error_message, {progress}
  FROM {schema}.{table} ORDER BY installed_rank
"""
IN_PROGRESS = "in progress (interrupted)"
BEGIN_ATTEMPT = f"""
INSERT INTO {HISTORY_TABLE}
    (version, kind, file, checksum, installed_by, execution_ms, success, error_message, {PROGRESS_COLUMN})
VALUES (%s, %s, %s, %s, CURRENT_USER(), 0, FALSE, %s, %s)
"""
SET_PROGRESS = f"UPDATE {HISTORY_TABLE} SET {PROGRESS_COLUMN} = %s WHERE installed_rank = %s"
FINISH_ATTEMPT = (f"UPDATE {HISTORY_TABLE} SET execution_ms = %s, success = %s, error_message = %s "
                  "WHERE installed_rank = %s")
LAST_ATTEMPT = (f"SELECT success, {PROGRESS_COLUMN} FROM {HISTORY_TABLE} WHERE file = %s "
                "ORDER BY installed_rank DESC LIMIT 1")

INSERT_HISTORY = f"""
INSERT INTO {HISTORY_TABLE}
    (version, kind, file, checksum, installed_by, execution_ms, success, error_message)
VALUES (%s, %s, %s, %s, CURRENT_USER(), %s, %s, %s)
"""


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
    statements_done: str | None = None


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


def create_table(conn) -> None:
    """Create the history table in the connection's current database, or bring it up to date."""
    with conn.cursor() as cur:
        cur.execute(CREATE_HISTORY)
        cur.execute("SELECT DATABASE()")
        database = cur.fetchone()[0]
        cur.execute(HAS_PROGRESS_COLUMN, (database, HISTORY_TABLE, PROGRESS_COLUMN))
        if cur.fetchone()[0] == 0:
            cur.execute(ADD_PROGRESS_COLUMN)


def read(conn, database: str) -> list[HistoryRow]:
    """Every recorded attempt in `database`, oldest first; empty when nothing was ever applied."""
    with conn.cursor() as cur:
        cur.execute(HAS_HISTORY, (database, HISTORY_TABLE))
        if cur.fetchone()[0] == 0:
            return []
        cur.execute(HAS_PROGRESS_COLUMN, (database, HISTORY_TABLE, PROGRESS_COLUMN))
        progress = PROGRESS_COLUMN if cur.fetchone()[0] else "NULL"
        cur.execute(SELECT_HISTORY.format(schema=quote_identifier(database), table=HISTORY_TABLE,
                                          progress=progress))
        return [HistoryRow(*row[:8], bool(row[8]), row[9], row[10]) for row in cur.fetchall()]


def record(conn, sql_file: SqlFile, elapsed_ms: int, success: bool, error: str | None) -> None:
    """Record one attempt in the connection's current database."""
    with conn.cursor() as cur:
        cur.execute(INSERT_HISTORY, (sql_file.version, sql_file.kind, sql_file.relpath,
                                     sql_file.checksum, elapsed_ms, success, error))


def statement_checksum(sql: str) -> str:
    """A short checksum of one statement's text, as kept in statements_done."""
    return hashlib.sha256(sql.strip().encode("utf-8")).hexdigest()[:16]


def done_before(conn, sql_file: SqlFile) -> list[str]:
    """Checksums of the statements that succeeded in the file's last attempt, when it failed."""
    with conn.cursor() as cur:
        cur.execute(LAST_ATTEMPT, (sql_file.relpath,))
        row = cur.fetchone()
    if row is None or row[0] or not row[1]:
        return []
    return row[1].split(",")


def begin(conn, sql_file: SqlFile, done: list[str]) -> int:
    """Record the start of an attempt (already-done statements included); return its rank."""
    with conn.cursor() as cur:
        cur.execute(BEGIN_ATTEMPT, (sql_file.version, sql_file.kind, sql_file.relpath, sql_file.checksum,
                                    IN_PROGRESS, ",".join(done)))
        return cur.lastrowid


def progress(conn, rank: int, done: list[str]) -> None:
    """Record the statements of attempt `rank` that have succeeded so far."""
    with conn.cursor() as cur:
        cur.execute(SET_PROGRESS, (",".join(done), rank))


def finish(conn, rank: int, elapsed_ms: int, success: bool, error: str | None) -> None:
    """Record how attempt `rank` ended."""
    with conn.cursor() as cur:
        cur.execute(FINISH_ATTEMPT, (elapsed_ms, success, error, rank))


def file_state(sql_file: SqlFile, history: list[HistoryRow]) -> FileState:
    """Return `sql_file`'s state against `history`."""
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
