"""Loading chunks: the loader account, LOAD DATA per chunk, and the secondary indexes.

The loader logs in as hms_loader, an account `hms seed` creates for the length of
one load with a random password nobody sees, holding only SELECT and INSERT on the
database; its sessions are the only ones opened with local_infile, and the only
ones the stock trigger lets skip the per-row decrement (see
sql/triggers/trg_prescription_medication_stock.sql). It is dropped afterwards.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pymysql

from hms import errcodes
from hms.db import ConnectionInfo, connect, error_code, server_message
from hms.errors import DatabaseError
from hms.sqlfiles import SQL_ROOT, discover

from .generate import Chunk, Plan
from .tables import COLUMNS

LOADER_USER = "hms_loader"
WARNINGS_SHOWN = 3
CREATE_INDEX = re.compile(r"^CREATE\s+INDEX\s+(\w+)\s+ON\s+(\w+)\s*\(", re.IGNORECASE)

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
    """The indexes of sql/indexes, with the statement that creates each."""
    found = []
    for sql_file in discover(sql_root):
        if sql_file.group != "indexes":
            continue
        for statement in sql_file.statements():
            match = CREATE_INDEX.match(statement.sql)
            if match:
                found.append(SecondaryIndex(match.group(1), match.group(2), statement.sql))
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
    dropped = []
    with conn.cursor() as cur:
        for index in secondary_indexes():
            if (index.table, index.name) in present:
                cur.execute(f"DROP INDEX `{index.name}` ON `{index.table}`")
                dropped.append(index)
    return dropped


def create_secondary_indexes(conn, database: str, on_index=None) -> list[SecondaryIndex]:
    """Create every sql/indexes index that is missing, from its own file; return those made."""
    present = existing_indexes(conn, database)
    made = []
    with conn.cursor() as cur:
        for index in secondary_indexes():
            if (index.table, index.name) not in present:
                if on_index:
                    on_index(index)
                cur.execute(index.create_sql)
                made.append(index)
    return made


class LoaderAccount:
    """hms_loader with a fresh random password, SELECT and INSERT on one database only."""

    def __init__(self, admin_info: ConnectionInfo):
        self.admin_info = admin_info
        self.password = secrets.token_urlsafe(24) + "aA1!"

    def __enter__(self) -> ConnectionInfo:
        conn = connect(self.admin_info, database=None)
        try:
            with conn.cursor() as cur:
                cur.execute("DROP USER IF EXISTS %s@'%%'", (LOADER_USER,))
                cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (LOADER_USER, self.password))
                cur.execute(f"GRANT SELECT, INSERT ON `{self.admin_info.database}`.* TO %s@'%%'", (LOADER_USER,))
        finally:
            conn.close()
        return self.admin_info.with_login(LOADER_USER, self.password)

    def __exit__(self, *exc) -> None:
        conn = connect(self.admin_info, database=None)
        try:
            with conn.cursor() as cur:
                cur.execute("DROP USER IF EXISTS %s@'%%'", (LOADER_USER,))
        finally:
            conn.close()


def open_loader(info: ConnectionInfo):
    """Return a loader session: local_infile on, FK and unique checks off, the trigger bypass set."""
    conn = connect(info, autocommit=False, local_infile=True, read_timeout=3600)
    with conn.cursor() as cur:
        cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0, @hms_seed_loading = 1")
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
