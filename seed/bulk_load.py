"""Loading chunks: the loader account, LOAD DATA per chunk, and the secondary indexes.

The loader logs in as hms_loader, an account `hms seed` creates for the length of
one load with a random password nobody sees, holding only SELECT and INSERT on the
database; its sessions are the only ones opened with local_infile, and the only
ones the stock trigger lets skip the per-row decrement (see
sql/triggers/trg_prescription_medication_stock.sql). It is dropped afterwards.

An unlogged load (the default with the binary log on, see seed/seed_log.py) also
gives it the one global privilege that lets its sessions SET sql_log_bin = 0
(hms.dialect: BINLOG ADMIN on MariaDB, SESSION_VARIABLES_ADMIN on MySQL), for the
same span; a logged load (`--log-bin`) does not.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pymysql

from hms import dialect as dialects
from hms import errcodes
from hms.connection import ConnectionInfo, connect, session, error_code, server_message
from hms.errors import DatabaseError
from hms.migrations import SQL_ROOT, discover
from hms.migrations.statements import split_statements

from .concurrent import each_of
from .generate import Chunk, Plan
from .tables import COLUMNS

LOADER_USER = "hms_loader"
WARNINGS_SHOWN = 3
CREATE_INDEX = re.compile(r"^CREATE\s+INDEX\s+(\w+)\s+ON\s+(\w+)\s*\(", re.IGNORECASE)
DROP_INDEX = re.compile(r"^DROP\s+INDEX\s+(\w+)\s+ON\s+(\w+)\s*$", re.IGNORECASE)

LOAD_CHUNK = ("LOAD DATA LOCAL INFILE %s INTO TABLE `{table}` CHARACTER SET utf8mb4 "
              "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({columns})")
RECORD_CHUNK = ("INSERT INTO hms_seed_chunk (table_name, chunk_no, first_id, row_count, seed, scale, as_of) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)")


class LoadError(DatabaseError):
    """A chunk did not load cleanly (a warning, a refused row); nothing of it was kept."""


@dataclass(frozen=True)
class SecondaryIndex:
    """An index from sql/indexes: built after the data is in."""

    name: str
    table: str
    create_sql: str


def secondary_indexes(sql_root: Path = SQL_ROOT) -> list[SecondaryIndex]:
    """The indexes of sql/indexes, with the statement that creates each: those a later file drops
    (a replaced index) are not among them."""
    found = []
    for sql_file in discover(sql_root):
        if sql_file.group != "indexes":
            continue
        for statement in sql_file.statements():
            match = CREATE_INDEX.match(statement.sql)
            if match:
                found.append(SecondaryIndex(match.group(1), match.group(2), statement.sql))
            dropped = DROP_INDEX.match(statement.sql.strip().rstrip(";"))
            if dropped:
                found = [i for i in found if (i.name, i.table) != (dropped.group(1), dropped.group(2))]
    return found


def existing_indexes(conn, database: str) -> set[tuple[str, str]]:
    """(table, index) pairs present in `database`."""
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS "
                    "WHERE TABLE_SCHEMA = %s", (database,))
        return {(t, i) for t, i in cur.fetchall()}


def drop_secondary_indexes(conn, database: str) -> list[SecondaryIndex]:
    """Drop the sql/indexes indexes (keys inside CREATE TABLE stay); return those dropped."""
    present = existing_indexes(conn, database)
    dropped = [index for index in secondary_indexes() if (index.table, index.name) in present]
    with conn.cursor() as cur:
        for table, indexes in _by_table(dropped).items():
            cur.execute(f"ALTER TABLE `{table}` " + ", ".join(f"DROP INDEX `{i.name}`" for i in indexes))
    return dropped


def _by_table(indexes: list[SecondaryIndex]) -> dict[str, list[SecondaryIndex]]:
    grouped: dict[str, list[SecondaryIndex]] = {}
    for index in indexes:
        grouped.setdefault(index.table, []).append(index)
    return grouped


def add_indexes_sql(table: str, indexes: list[SecondaryIndex]) -> str:
    """Return one ALTER TABLE adding all `indexes` of `table`: InnoDB reads the table once for all."""
    clauses = []
    for index in indexes:
        match = CREATE_INDEX.match(index.create_sql)
        # Everything after "ON <table>" (the key parts and any options) is kept as written in sql/indexes.
        clauses.append(f"ADD INDEX `{index.name}` (" + index.create_sql[match.end():])
    return f"ALTER TABLE `{table}` " + ", ".join(clauses)


def create_secondary_indexes(info: ConnectionInfo, sessions: int = 1, on_table=None) -> list[SecondaryIndex]:
    """Create every sql/indexes index that is missing, tables side by side in `sessions` sessions.

    Returns the indexes made. Biggest tables start first, so the sessions finish together.
    """
    with session(info) as conn:
        present = existing_indexes(conn, info.database)
        with conn.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                        (info.database,))
            sizes = {t: int(r or 0) for t, r in cur.fetchall()}
    missing = _by_table([i for i in secondary_indexes() if (i.table, i.name) not in present])
    work = sorted(missing.items(), key=lambda item: -sizes.get(item[0], 0))
    def build(conn, work_item) -> None:
        table, indexes = work_item
        with conn.cursor() as cur:
            cur.execute(add_indexes_sql(table, indexes))
        if on_table:
            on_table(table, indexes)

    each_of(work, sessions, lambda: session(info, read_timeout=24 * 3600), build)
    return [index for _, indexes in missing.items() for index in indexes]


class LoaderAccount:
    """hms_loader with a fresh random password, SELECT and INSERT on one database only.

    For the same span, seed_loader_bypass() accepts the load's secret (derived from that
    password, so only the loader sessions hold it): the stock and billing-summary
    triggers skip their per-row work for those sessions and nobody else. `unlogged`
    adds the privilege to turn the binary log off for its own sessions (open_loader).
    """

    def __init__(self, admin_info: ConnectionInfo, unlogged: bool = False):
        self.admin_info = admin_info
        self.unlogged = unlogged
        self.password = secrets.token_urlsafe(24) + "aA1!"

    def __enter__(self) -> ConnectionInfo:
        with session(self.admin_info, database=None) as conn:
            dialect = dialects.for_connection(conn)
            identified, hashed = dialect.identified(self.password)  # the hash only: logged
            with conn.cursor() as cur:
                cur.execute("DROP USER IF EXISTS %s@'%%'", (LOADER_USER,))
                cur.execute(f"CREATE USER %s@'%%' {identified}", (LOADER_USER, hashed))
                cur.execute(f"GRANT SELECT, INSERT ON `{self.admin_info.database}`.* TO %s@'%%'", (LOADER_USER,))
                if self.unlogged:
                    _grant_unlogged(cur, dialect)
        with session(self.admin_info) as conn:
            with conn.cursor() as cur:
                cur.execute("DROP FUNCTION IF EXISTS seed_loader_bypass")
                digest = hashlib.sha256(bypass_secret(self.password).encode("ascii")).hexdigest()
                cur.execute(BYPASS_DURING_LOAD, (digest,))
        return self.admin_info.with_login(LOADER_USER, self.password)

    def __exit__(self, *exc) -> None:
        with session(self.admin_info, database=None) as conn:
            with conn.cursor() as cur:
                cur.execute("DROP USER IF EXISTS %s@'%%'", (LOADER_USER,))
        reset_bypass(self.admin_info)


# While a load runs: the function accepts the SHA-256 of the load's secret (a hex digest).
BYPASS_DURING_LOAD = """
CREATE FUNCTION seed_loader_bypass(p_secret VARCHAR(100)) RETURNS BOOLEAN
DETERMINISTIC NO SQL SQL SECURITY INVOKER
COMMENT 'FALSE unless hms seed is loading and p_secret is its loader secret'
RETURN p_secret IS NOT NULL AND CAST(SHA2(p_secret, 256) AS BINARY) = CAST(%s AS BINARY)
"""


def _grant_unlogged(cur, dialect: dialects.Dialect) -> None:
    """Let hms_loader turn the binary log off for its sessions; on refusal drop it and say what to do."""
    privilege = dialect.unlogged_session_privilege()
    try:
        cur.execute(f"GRANT {privilege} ON *.* TO %s@'%%'", (LOADER_USER,))
    except pymysql.err.MySQLError as exc:
        cur.execute("DROP USER IF EXISTS %s@'%%'", (LOADER_USER,))
        raise DatabaseError(f"the loader may not be given {privilege}, which an unlogged load needs: "
                            f"{server_message(exc)}",
                            "Seed as an administrative account, or add --log-bin to write the load "
                            "to the binary log") from None


def bypass_secret(loader_password: str) -> str:
    """The secret a loader session sets in @hms_seed_loading (derived from its password)."""
    return hashlib.sha256(f"hms seed bypass:{loader_password}".encode()).hexdigest()


def reset_bypass(info: ConnectionInfo) -> None:
    """Re-create seed_loader_bypass() from sql/ (accepting nobody)."""
    path = SQL_ROOT / "routines" / "seed_loader_bypass.sql"
    with session(info) as conn:
        with conn.cursor() as cur:
            for statement in split_statements(path.read_text(encoding="utf-8"), str(path)):
                cur.execute(statement.sql)


def open_loader(info: ConnectionInfo, unlogged: bool = False):
    """Return a loader session: local_infile on, FK and unique checks off, the trigger bypass set.

    `unlogged`: its writes stay out of the binary log (LoaderAccount(unlogged=True) made the login).
    """
    conn = connect(info, autocommit=False, local_infile=True, read_timeout=3600)
    with conn.cursor() as cur:
        if unlogged:
            cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0, @hms_seed_loading = %s",
                    (bypass_secret(info.password),))
    return conn


def load_chunk(conn, plan: Plan, chunk: Chunk, path: Path) -> None:
    """LOAD DATA one chunk file and record it, in one transaction; any warning undoes both."""
    columns = ", ".join(f"`{c}`" for c in COLUMNS[chunk.table])
    try:
        with conn.cursor() as cur:
            cur.execute(LOAD_CHUNK.format(table=chunk.table, columns=columns), (str(path),))
            loaded = cur.rowcount
            cur.execute("SELECT @@warning_count")
            if cur.fetchone()[0]:
                cur.execute(f"SHOW WARNINGS LIMIT {WARNINGS_SHOWN}")
                shown = "; ".join(f"{level} {code}: {message}" for level, code, message in cur.fetchall())
                conn.rollback()
                raise LoadError(f"chunk {chunk.name} ({path.name}) loaded with warnings: {shown}",
                                "Nothing of this chunk was kept; fix the generator or the schema, "
                                "then run `hms seed --resume`")
            if loaded != chunk.rows:
                conn.rollback()
                raise LoadError(f"chunk {chunk.name} loaded {loaded} rows instead of {chunk.rows}",
                                "Nothing of this chunk was kept; run `hms seed --resume`")
            cur.execute(RECORD_CHUNK, (chunk.table, chunk.number, chunk.lo + 1, chunk.rows, plan.seed,
                                       plan.scale, plan.as_of))
        conn.commit()
    except pymysql.err.MySQLError as exc:
        try:
            conn.rollback()
        except pymysql.err.MySQLError:
            pass
        if error_code(exc) in (errcodes.LOCAL_INFILE_DISABLED, errcodes.MARIADB_LOCAL_INFILE_DISABLED):
            raise LoadError("the server refuses LOAD DATA LOCAL INFILE",
                            "Start it with local_infile=1 (SET GLOBAL local_infile = 1)") from None
        raise LoadError(f"chunk {chunk.name} ({path.name}) was refused: {server_message(exc)}",
                        "Nothing of this chunk was kept; run `hms seed --resume` after fixing the cause") from None
