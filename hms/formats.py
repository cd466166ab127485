"""Writing a stream of rows as a table, CSV or JSON, one row at a time.

Nothing here holds more than a screenful of rows: the table format measures its
columns on the first rows only, so a 6M-row result streams in constant memory.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import json
from itertools import chain, islice
from typing import Callable, Iterable, Iterator

FORMATS = ("table", "csv", "json")
# Rows the table format looks at to size its columns; later rows may be wider.
TABLE_SAMPLE = 200


def text(value) -> str:
    """A value as an analyst reads it: NULL for None, ISO dates, exact decimals."""
    if value is None:
        return "NULL"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def json_value(value):
    """A value JSON can hold: decimals as exact strings, dates in ISO form."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.timedelta, bytes)):
        return text(value)
    return value


def write_rows(fmt: str, columns: list[str], rows: Iterable[tuple], write: Callable[[str], None]) -> int:
    """Write `rows` in `fmt` through `write` (which adds no newline); return the row count."""
    writer = {"table": _table, "csv": _csv, "json": _json}[fmt]
    return writer(columns, iter(rows), write)


def _table(columns: list[str], rows: Iterator[tuple], write) -> int:
    sample = list(islice(rows, TABLE_SAMPLE))
    widths = [len(c) for c in columns]
    for row in sample:
        widths = [max(w, len(text(v))) for w, v in zip(widths, row)]
    write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    write("  ".join("-" * w for w in widths) + "\n")
    count = 0
    for row in chain(sample, rows):
        write("  ".join(text(v).ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
        count += 1
    return count


class _Line:
    """A file-like target for csv.writer that hands each line to `write`."""

    def __init__(self, write):
        self.write = write


def _csv(columns: list[str], rows: Iterator[tuple], write) -> int:
    out = csv.writer(_Line(write), lineterminator="\n")
    out.writerow(columns)
    count = 0
    for row in rows:
        out.writerow(["" if v is None else text(v) for v in row])
        count += 1
    return count


def _json(columns: list[str], rows: Iterator[tuple], write) -> int:
    # A JSON array written one object per line, so it streams and still parses whole.
    count = 0
    write("[")
    for row in rows:
        item = json.dumps({c: json_value(v) for c, v in zip(columns, row)}, ensure_ascii=False)
        write(("\n" if count == 0 else ",\n") + item)
        count += 1
    write("\n]\n" if count else "]\n")
    return count
