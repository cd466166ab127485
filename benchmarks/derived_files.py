"""The rows `hms seed` derives after loading its thirteen generated tables (scheduling, invoices,
payments, stock lots and ledger, the summary tables), as files a bare load can take.

`benchmarks/load.py` compares `hms seed` with loading the same dataset by LOAD DATA alone. Since
hms seed fills more tables than the thirteen it generates as files, the baseline loads those
rows too: they are read out of the database (a) made, once, into one file per table in LOAD
DATA's format (the format of the chunk files), and every baseline loads them after the chunks.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pymysql
from harness import session
from hms.identifiers import quote_name
from seed import bulk_load
from seed.concurrent import each_of
from seed.tables import COLUMNS

# Written by `hms db migrate` and `hms seed`'s own bookkeeping, not part of the dataset.
BOOKKEEPING = ("hms_schema_history", "hms_seed_chunk", "hms_seed_log")
FETCH = 10_000


def _field(value) -> str:
    """One value as LOAD DATA reads it (FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\')."""
    if value is None:
        return "\\N"
    if isinstance(value, timedelta):           # TIME: up to 24:00:00 here, never negative
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    text = str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r").replace("\0", "\\0"))


def export(info, database: str, directory: Path) -> dict[str, tuple[Path, list[str], int]]:
    """Every table of `database` with rows, outside the thirteen and the bookkeeping, as a file:
    {table: (path, its stored columns, rows)}."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    with session(info.with_database(database)) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                        "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", (database,))
            tables = [t for (t,) in cur.fetchall() if t not in COLUMNS and t not in BOOKKEEPING]
        for table in tables:
            with conn.cursor() as cur:
                cur.execute("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
                            "AND TABLE_NAME = %s AND IS_GENERATED = 'NEVER' ORDER BY ORDINAL_POSITION",
                            (database, table))
                columns = [c for (c,) in cur.fetchall()]
            path = directory / f"{table}.tsv"
            rows = 0
            with conn.cursor(pymysql.cursors.SSCursor) as cur, open(path, "w", encoding="utf-8") as out:
                cur.execute(f"SELECT {', '.join(quote_name(c) for c in columns)} FROM {quote_name(table)}")
                while batch := cur.fetchmany(FETCH):
                    out.writelines("\t".join(_field(v) for v in row) + "\n" for row in batch)
                    rows += len(batch)
            if rows:
                files[table] = (path, columns, rows)
            else:
                path.unlink()
    return files


def clear(conn, files) -> None:
    """Empty the tables the files fill (a freshly migrated database holds a few rows of its own,
    e.g. schedule_number and V039's charge), so the load gives exactly (a)'s rows."""
    with conn.cursor() as cur:
        cur.execute("SET SESSION foreign_key_checks = 0")
        for table in files:
            cur.execute(f"DELETE FROM {quote_name(table)}")
        cur.execute("SET SESSION foreign_key_checks = 1")
    conn.commit()


def load(loader_info, files, sessions: int, unlogged: bool) -> int:
    """LOAD DATA every file in `sessions` loader sessions at once (largest first); rows loaded."""
    loaded = []

    def load_file(conn, table_and_file) -> None:
        table, (path, columns, rows) = table_and_file
        with conn.cursor() as cur:
            cur.execute(bulk_load.LOAD_CHUNK.format(table=table, columns=", ".join(quote_name(c) for c in columns)),
                        (str(path),))
            if cur.rowcount != rows:
                raise SystemExit(f"{table}: loaded {cur.rowcount} rows of {rows}")
        conn.commit()
        loaded.append(rows)

    each_of(sorted(files.items(), key=lambda item: -item[1][2]), sessions,
            lambda: bulk_load.open_loader(loader_info, unlogged), load_file)
    return sum(loaded)
