"""What a database holds, in comparable form: rows and a content checksum per table,
and a digest of every routine, trigger and view definition."""

from __future__ import annotations

import hashlib
import json

from ..identifiers import quote_identifier, quote_name
from ..migrations import snapshot

TABLE_NAMES = """
SELECT TABLE_NAME FROM information_schema.TABLES
 WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME
"""
COLUMN_NAMES = """
SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
 WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION
"""
OBJECT_KINDS = ("routine", "trigger", "view")


def table_names(conn, schema: str) -> list[str]:
    """Return the base tables of `schema`, sorted."""
    with conn.cursor() as cur:
        cur.execute(TABLE_NAMES, (schema,))
        return [row[0] for row in cur.fetchall()]


def checksum_sql(schema: str, table: str, columns: list[str]) -> str:
    """Return SELECT COUNT(*), checksum for one table.

    The checksum is pt-table-checksum's: BIT_XOR of CRC32 over each row's columns
    joined with '#', plus a NULL map so NULL and '' differ. It is order-free, so two
    copies of a table agree whatever order their rows were written in.
    """
    cols = [quote_name(c) for c in columns]
    nulls = "CONCAT(" + ", ".join(f"ISNULL({c})" for c in cols) + ")"
    row = "CONCAT_WS('#', " + ", ".join(cols + [nulls]) + ")"
    return (f"SELECT COUNT(*), COALESCE(BIT_XOR(CRC32({row})), 0) "
            f"FROM {quote_identifier(schema)}.{quote_name(table)}")


def row_counts(conn, schema: str) -> dict[str, int]:
    """Return {table: exact COUNT(*)} for every base table in `schema` (in the caller's snapshot)."""
    counts = {}
    with conn.cursor() as cur:
        for table in table_names(conn, schema):
            cur.execute(f"SELECT COUNT(*) FROM {quote_identifier(schema)}.{quote_name(table)}")
            counts[table] = int(cur.fetchone()[0])
    return counts


def table_stats(conn, schema: str) -> tuple[dict[str, int], dict[str, int]]:
    """Return ({table: rows}, {table: checksum}) for every base table in `schema`.

    Run inside a transaction to read one snapshot (the backup does).
    """
    columns: dict[str, list[str]] = {}
    with conn.cursor() as cur:
        cur.execute(COLUMN_NAMES, (schema,))
        for table, column in cur.fetchall():
            columns.setdefault(table, []).append(column)
        rows, sums = {}, {}
        for table in table_names(conn, schema):
            cur.execute(checksum_sql(schema, table, columns[table]))
            count, crc = cur.fetchone()
            rows[table], sums[table] = int(count), int(crc)
    return rows, sums


def object_digests(conn, schema: str) -> dict[str, dict[str, str]]:
    """Return {kind: {name: sha256 of its definition}} for routines, triggers and views."""
    snap = snapshot.snapshot(conn, schema)
    return {kind: {name: _digest(value) for name, value in snap[kind].items()} for kind in OBJECT_KINDS}


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, default=str).encode()).hexdigest()


def compare(label_have: str, have: dict, label_want: str, want: dict) -> list[str]:
    """Return one line per table or object that differs between two descriptions.

    A description has "tables" ({t: rows}) and "objects" ({kind: {name: digest}}), and
    may have "checksums" ({t: crc}) and "digests" ({t: sha256}): these are compared
    when both sides have them.
    """
    lines: list[str] = []
    tables_have, tables_want = have["tables"], want["tables"]
    missing, extra, changed = snapshot.split(tables_have, tables_want)
    lines += [f"table {table}: in {label_want}, missing from {label_have}" for table in missing]
    lines += [f"table {table}: in {label_have}, not in {label_want}" for table in extra]
    lines += [f"table {table}: {tables_have[table]} rows in {label_have}, {tables_want[table]} in {label_want}"
              for table in changed]
    for table in sorted(set(tables_have) & set(tables_want) - set(changed)):
        for key in ("checksums", "digests"):
            if key in have and key in want and have[key].get(table) != want[key].get(table):
                lines.append(f"table {table}: same row count but different contents in {label_have} "
                             f"and {label_want} ({key[:-1]} {_short(have[key].get(table))} "
                             f"vs {_short(want[key].get(table))})")
                break
    for kind in OBJECT_KINDS:
        missing, extra, changed = snapshot.split(have["objects"].get(kind, {}), want["objects"].get(kind, {}))
        lines += [f"{kind} {name}: in {label_want}, missing from {label_have}" for name in missing]
        lines += [f"{kind} {name}: in {label_have}, not in {label_want}" for name in extra]
        lines += [f"{kind} {name}: definition differs between {label_have} and {label_want}" for name in changed]
    return lines


def _short(value) -> str:
    return str(value)[:12] if value is not None else "none"


def describe(conn, schema: str) -> dict:
    """Return the comparable description of `schema` (see `compare`)."""
    rows, sums = table_stats(conn, schema)
    return {"tables": rows, "checksums": sums, "objects": object_digests(conn, schema)}
