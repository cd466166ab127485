"""The plan of a run (tables cut into fixed id ranges) and writing one chunk to a file.

A chunk is (table, number): rows [number x CHUNK_ROWS, ...) of that table. Its
random stream comes from SeedSequence([seed, table, number]), and fields other
tables depend on come from hashing.py, so a chunk's bytes depend only on seed,
scale, as_of and the chunk itself: never on which worker made it or when.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from . import scale, tables
from .world import world

CHUNK_ROWS = 250_000
# Rough bytes per row of each table's file, for the free-disk check.
ROW_BYTES = {"patient": 190, "appointment": 110, "billing": 90, "medical_record": 150,
             "prescription": 60, "prescription_medication": 50}
DEFAULT_ROW_BYTES = 160


@dataclass(frozen=True)
class Chunk:
    """Rows [lo, hi) (indexes; id = index + 1) of one table."""

    table: str
    number: int
    lo: int
    hi: int

    @property
    def rows(self) -> int:
        return self.hi - self.lo

    @property
    def name(self) -> str:
        return f"{self.table}#{self.number}"

    @property
    def filename(self) -> str:
        return f"{self.table}.{self.number:05d}.tsv"


@dataclass(frozen=True)
class Plan:
    """What one run generates: seed, scale, the dataset's 'today', and the chunks."""

    seed: int
    scale: float
    as_of: date
    chunk_rows: int = CHUNK_ROWS

    @property
    def counts(self) -> dict[str, int]:
        return scale.counts(self.scale)

    def chunks(self) -> list[Chunk]:
        """Every chunk of the run, in load order."""
        found = []
        for table, total in self.counts.items():
            for number, lo in enumerate(range(0, total, self.chunk_rows)):
                found.append(Chunk(table, number, lo, min(total, lo + self.chunk_rows)))
        return found

    def max_chunk_bytes(self) -> int:
        """A generous estimate of the largest chunk file."""
        return max(min(total, self.chunk_rows) * ROW_BYTES.get(table, DEFAULT_ROW_BYTES)
                   for table, total in self.counts.items())


TABLE_NUMBERS = {table: i for i, table in enumerate(scale.TABLES)}


def chunk_rng(plan: Plan, chunk: Chunk) -> np.random.Generator:
    """The chunk's own random stream, keyed by seed, table and chunk number."""
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence([plan.seed, TABLE_NUMBERS[chunk.table], chunk.number])))


def generate(plan: Plan, chunk: Chunk) -> dict:
    """Return the chunk's rows as {column: list of values}."""
    w = world(plan.seed, plan.scale, plan.as_of)
    columns = tables.GENERATORS[chunk.table](w, chunk.lo, chunk.hi, chunk_rng(plan, chunk))
    expected = tables.COLUMNS[chunk.table]
    if tuple(columns) != expected:
        raise AssertionError(f"{chunk.table} generator returned {tuple(columns)}, expected {expected}")
    return columns


def write_chunk(plan: Plan, chunk: Chunk, directory: Path) -> Path:
    """Generate a chunk and write it as a tab-separated LOAD DATA file; return its path.

    Written to a temporary name and renamed, so a file that exists is complete.
    """
    path = Path(directory) / chunk.filename
    partial = path.with_suffix(".part")
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(format_rows(generate(plan, chunk)))
    os.replace(partial, path)
    return path


def format_rows(columns: dict) -> str:
    """Return the rows as LOAD DATA text: tab-separated fields, one line per row.

    One %-format over all the values runs in C, about twice as fast as csv.writer;
    money is written from integer cents as '%d.%02d', never through a float.
    """
    specs, values = [], []
    for name, column in columns.items():
        if isinstance(column, tables.Cents):
            specs.append("%d.%02d")
            values += [(column // 100).tolist(), (column % 100).tolist()]
        else:
            specs.append("%s")
            values.append(column)
    rows = len(values[0])
    for name, column in zip(columns, values):
        for value in column[:1]:
            if isinstance(value, str) and ("\t" in value or "\n" in value or "\\" in value[1:]):
                raise ValueError(f"column {name} holds a tab, newline or backslash: {value!r}")
    line = "\t".join(specs) + "\n"
    return (line * rows) % tuple(itertools.chain.from_iterable(zip(*values)))
