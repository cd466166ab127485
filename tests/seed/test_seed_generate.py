"""The fast paths of `hms seed`: byte-level row text and the scheduling of parallel loader sessions."""

from __future__ import annotations

import threading
import time
from datetime import date

import numpy as np
import pytest

from seed import parallel, text
from seed.generate import Chunk, Plan, format_rows, generate


def test_digits_and_fixed_write_integers_like_python():
    values = np.array([0, 7, 10, 99, 100, 123_456, 4_000_000_000])
    assert text.digits(values).tolist() == [str(v) for v in values.tolist()]
    assert text.fixed(np.array([0, 5, 42, 999]), 3).tolist() == ["000", "005", "042", "999"]


def test_rows_match_percent_formatting_with_nulls_money_and_unicode():
    pool = text.encoded(["Zoë", "O'Brien", "Li"])
    columns = {"id": np.array([1, 20, 300]), "name": text.pick(pool, [0, 1, 2]),
               "note": text.where(np.array([True, False, True]), b"x" + text.digits(np.array([5, 6, 7])), text.null(3)),
               "price": np.array([5, 1234, 100_000]).view(text.Cents), "plain": ["a", "\\N", 3]}
    expected = "1\tZoë\tx5\t0.05\ta\n20\tO'Brien\t\\N\t12.34\t\\N\n300\tLi\tx7\t1000.00\t3\n"
    assert format_rows(columns) == expected.encode()


@pytest.mark.parametrize("bad", ["tab\there", "new\nline", "back\\slash", "nul\x00"])
def test_values_that_would_corrupt_load_data_text_are_refused(bad):
    with pytest.raises(ValueError, match="tab, newline or backslash"):
        text.encoded(["fine", bad])
    with pytest.raises(ValueError, match="tab, newline or backslash"):
        format_rows({"value": ["fine", bad]})


def test_chunk_text_depends_only_on_the_chunk_not_on_batching(monkeypatch):
    plan = Plan(7, 0.0005, date(2025, 6, 2))
    chunk = next(c for c in plan.chunks() if c.table == "patient")
    whole = format_rows(generate(plan, chunk))
    monkeypatch.setattr(text, "BATCH_ROWS", 7)
    assert format_rows(generate(plan, chunk)) == whole
    assert whole.count(b"\n") == chunk.rows
    assert all(line.count(b"\t") == 11 for line in whole.splitlines())


def test_interleaved_order_advances_every_table_at_the_same_pace():
    chunks = [Chunk("a", n, n * 10, n * 10 + 10) for n in range(4)] + [Chunk("b", n, n, n + 1) for n in range(2)]
    order = [(c.table, c.number) for c in parallel.interleaved(chunks)]
    assert sorted(order) == sorted((c.table, c.number) for c in chunks)
    assert order == [("a", 0), ("b", 0), ("a", 1), ("a", 2), ("b", 1), ("a", 3)]


class SlowJob:
    def __init__(self, chunk):
        self.chunk = chunk

    def ready(self):
        return True

    def get(self, timeout=None):
        return self.chunk


def test_scheduler_never_gives_one_table_to_two_sessions_at_once():
    chunks = [Chunk(table, n, 0, 1) for n in range(6) for table in ("x", "y", "z")]
    scheduler = parallel.Scheduler(chunks, SlowJob, ahead=4)
    busy: dict[str, int] = {}
    overlaps, taken = [], []
    lock = threading.Lock()

    def session():
        while (entry := scheduler.take()) is not None:
            chunk = entry[0]
            with lock:
                busy[chunk.table] = busy.get(chunk.table, 0) + 1
                overlaps.append(busy[chunk.table] > 1)
                taken.append((chunk.table, chunk.number))
            time.sleep(0.002)
            with lock:
                busy[chunk.table] -= 1
            scheduler.done(chunk)

    threads = [threading.Thread(target=session) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not any(overlaps)
    assert sorted(taken) == sorted((c.table, c.number) for c in chunks)
