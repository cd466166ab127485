"""The migration history table: every attempt to apply a file, failed ones included, and
what each file's state is against it."""

from __future__ import annotations

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
    PRIMARY KEY (installed_rank),
    KEY idx_{HISTORY_TABLE}_file (file)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
"""

HAS_HISTORY = ("SELECT COUNT(*) FROM information_schema.TABLES "
               "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s")

SELECT_HISTORY = """
SELECT installed_rank, version, kind, file, checksum, installed_by, installed_at,
       execution_ms, success, error_message
  FROM {schema}.{table} ORDER BY installed_rank
"""

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
    """Create the history table in the connection's current database, if missing."""
    with conn.cursor() as cur:
        cur.execute(CREATE_HISTORY)


def read(conn, database: str) -> list[HistoryRow]:
    """Every recorded attempt in `database`, oldest first; empty when nothing was ever applied."""
    with conn.cursor() as cur:
        cur.execute(HAS_HISTORY, (database, HISTORY_TABLE))
        if cur.fetchone()[0] == 0:
            return []
        cur.execute(SELECT_HISTORY.format(schema=quote_identifier(database), table=HISTORY_TABLE))
        return [HistoryRow(*row[:8], bool(row[8]), row[9]) for row in cur.fetchall()]


def record(conn, sql_file: SqlFile, elapsed_ms: int, success: bool, error: str | None) -> None:
    """Record one attempt in the connection's current database."""
    with conn.cursor() as cur:
        cur.execute(INSERT_HISTORY, (sql_file.version, sql_file.kind, sql_file.relpath,
                                     sql_file.checksum, elapsed_ms, success, error))


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
