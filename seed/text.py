"""Rows as bytes: each column a block of fixed-width bytes, squeezed into LOAD DATA text.

Formatting values one by one in Python cost more than generating them (about a
microsecond a field). Here a column is a Text: one or more uint8 blocks of shape
(rows, width), NUL-padded. A table's blocks are copied side by side into one
buffer with tabs and newlines, and a single vectorised pass drops the NUL bytes,
leaving exactly the text `"%s\\t%s\\n" % row` would give. That is only sound
because no value holds a NUL byte: every string reaching a block passes
`encoded()`, which refuses NUL, tab, newline and backslash.
"""

from __future__ import annotations

import numpy as np

TAB, NEWLINE = 9, 10
FORBIDDEN = ("\x00", "\t", "\n", "\\")


class Cents(np.ndarray):
    """An amount of money in cents; written as 'units.cc' (DECIMAL) without float formatting."""


class Text:
    """A column of byte strings: blocks laid side by side make each row's value."""

    __slots__ = ("blocks", "rows")

    def __init__(self, blocks, rows: int):
        self.blocks = tuple(blocks)
        self.rows = rows

    def __add__(self, other) -> "Text":
        other = as_text(other, self.rows)
        return Text(self.blocks + other.blocks, self.rows)

    def __radd__(self, other) -> "Text":
        return as_text(other, self.rows) + self

    @property
    def width(self) -> int:
        return sum(block.shape[1] for block in self.blocks)

    def dense(self) -> np.ndarray:
        """Return the column as one (rows, width) uint8 block."""
        if len(self.blocks) == 1:
            return self.blocks[0]
        if not self.blocks:
            return np.zeros((self.rows, 0), dtype=np.uint8)
        return np.concatenate([np.broadcast_to(b, (self.rows, b.shape[1])) for b in self.blocks], axis=1)

    def tolist(self) -> list[str]:
        """Return the values as Python strings (for tests and small tables)."""
        return [bytes(row).replace(b"\x00", b"").decode() for row in self.dense()]


def encoded(values) -> np.ndarray:
    """Return text values as a fixed-width bytes array (dtype S); refuse what LOAD DATA would misread."""
    out = []
    for value in values:
        if any(ch in value for ch in FORBIDDEN):
            raise ValueError(f"value holds a NUL, tab, newline or backslash: {value!r}")
        out.append(value.encode("utf-8"))
    return np.array(out, dtype="S") if out else np.zeros(0, dtype="S1")


def pick(pool: np.ndarray, index) -> Text:
    """Return pool[index] (pool from `encoded`) as a Text."""
    chosen = pool[np.asarray(index)]
    return Text([chosen.view(np.uint8).reshape(len(chosen), pool.dtype.itemsize)], len(chosen))


def const(value: bytes, rows: int) -> Text:
    """Return the same bytes on every row."""
    return Text([np.broadcast_to(np.frombuffer(value, dtype=np.uint8), (rows, len(value)))], rows)


NULL_BYTES = b"\\N"


def null(rows: int) -> Text:
    """Return LOAD DATA's NULL marker on every row."""
    return const(NULL_BYTES, rows)


def as_text(value, rows: int) -> Text:
    """Return a Text for a Text, bytes, a str constant or an integer array."""
    if isinstance(value, Text):
        return value
    if isinstance(value, bytes):
        return const(value, rows)
    if isinstance(value, str):
        return const(encoded([value])[0] if value else b"", rows)
    return digits(value)


def digits(values) -> Text:
    """Return non-negative integers in decimal, like str(int)."""
    v = np.asarray(values, dtype=np.int64)
    if len(v) == 0:
        return Text([np.zeros((0, 1), dtype=np.uint8)], 0)
    if v.min() < 0:
        raise ValueError("digits() writes non-negative integers only")
    width = len(str(int(v.max())))
    block = np.empty((len(v), width), dtype=np.uint8)
    x = v.copy()
    for position in range(width - 1, -1, -1):
        block[:, position] = x % 10 + 48
        x //= 10
    # A leading zero becomes padding; the last digit always stays.
    for position in range(width - 1):
        block[:, position] *= v >= 10 ** (width - 1 - position)
    return Text([block], len(v))


def fixed(values, width: int) -> Text:
    """Return non-negative integers zero-padded to `width` digits, like '%0<width>d'."""
    x = np.asarray(values, dtype=np.int64).copy()
    block = np.empty((len(x), width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):
        block[:, position] = x % 10 + 48
        x //= 10
    return Text([block], len(block))


def where(mask: np.ndarray, yes, no) -> Text:
    """Return `yes` where mask holds, else `no` (Texts, bytes or integer arrays)."""
    rows = len(mask)
    a, b = as_text(yes, rows).dense(), as_text(no, rows).dense()
    width = max(a.shape[1], b.shape[1])
    a, b = _pad(a, width, rows), _pad(b, width, rows)
    return Text([np.where(np.asarray(mask)[:, None], a, b)], rows)


def _pad(block: np.ndarray, width: int, rows: int) -> np.ndarray:
    block = np.broadcast_to(block, (rows, block.shape[1]))
    if block.shape[1] == width:
        return block
    return np.concatenate([block, np.zeros((rows, width - block.shape[1]), dtype=np.uint8)], axis=1)


def column_text(column, rows: int) -> Text:
    """Return any generator column as a Text: Text, Cents, an integer array, or a list of values."""
    if isinstance(column, Text):
        return column
    if isinstance(column, Cents):
        cents = np.asarray(column, dtype=np.int64)
        return digits(cents // 100) + b"." + fixed(cents % 100, 2)
    if isinstance(column, np.ndarray) and column.dtype.kind in "iu":
        return digits(column)
    # Small tables: plain Python values (str, int, the NULL marker), written like '%s'.
    values = [str(v) for v in column]
    if any(v != NULL_BYTES.decode() and any(ch in v for ch in FORBIDDEN) for v in values):
        bad = next(v for v in values if v != NULL_BYTES.decode() and any(ch in v for ch in FORBIDDEN))
        raise ValueError(f"value holds a NUL, tab, newline or backslash: {bad!r}")
    pool = np.array([v.encode("utf-8") for v in values], dtype="S") if values else np.zeros(0, dtype="S1")
    return pick(pool, np.arange(len(values)))


# Rows assembled at a time: the buffer stays in the CPU cache and is reused.
BATCH_ROWS = 8_192


def rows_bytes(columns: dict) -> bytes:
    """Return the rows as LOAD DATA text: tab-separated fields, one line per row."""
    texts = list(columns.values())
    rows = texts[0].rows if isinstance(texts[0], Text) else len(texts[0])
    texts = [column_text(c, rows) for c in texts]
    if any(t.rows != rows for t in texts):
        raise ValueError("columns of different lengths")
    # (block, first byte in the row) for every block, separators in between.
    layout, at = [], 0
    separators = []
    for text in texts:
        for block in text.blocks:
            layout.append((block, at))
            at += block.shape[1]
        separators.append(at)
        at += 1
    buffer = np.zeros((min(rows, BATCH_ROWS), at), dtype=np.uint8)
    buffer[:, separators] = TAB
    buffer[:, separators[-1]] = NEWLINE
    pieces = []
    for lo in range(0, rows, BATCH_ROWS):
        hi = min(rows, lo + BATCH_ROWS)
        part = buffer[:hi - lo]
        for block, start in layout:
            part[:, start:start + block.shape[1]] = block[lo:hi]
        pieces.append(part[part != 0].tobytes())
    return b"".join(pieces)
