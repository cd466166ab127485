"""Loading chunks in several sessions at once, different tables side by side.

One LOAD DATA keeps about one server core busy, so on a machine with N cores the
load runs N loader sessions. Each takes the next chunk whose table no other
session is loading: two sessions in one table would queue on its AUTO-INC lock
and its index pages, two tables proceed side by side. Every chunk still commits
with its own hms_seed_chunk row, so --resume and the final contents do not
depend on how many sessions ran or in which order they finished.
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Callable

from . import bulk_load
from .generate import Chunk, Plan


def interleaved(chunks: list[Chunk]) -> list[Chunk]:
    """Return the chunks ordered so every table advances at the same pace (by share loaded).

    Big tables then finish together instead of one long table loading alone at the end.
    """
    per_table: dict[str, int] = {}
    for chunk in chunks:
        per_table[chunk.table] = per_table.get(chunk.table, 0) + 1
    seen: dict[str, int] = {}
    keyed = []
    for position, chunk in enumerate(chunks):
        k = seen.get(chunk.table, 0)
        seen[chunk.table] = k + 1
        keyed.append(((k + 0.5) / per_table[chunk.table], position, chunk))
    return [chunk for *_, chunk in sorted(keyed, key=lambda item: item[:2])]


class Scheduler:
    """Hands out chunks to loader sessions: a table at most once at a time while others wait."""

    def __init__(self, chunks: list[Chunk], prepare: Callable[[Chunk], object], ahead: int):
        self._todo = iter(chunks)
        self._prepare = prepare          # starts making the chunk's file; returns a job with ready() and get()
        self._ahead = ahead
        self._pending: list[tuple[Chunk, object]] = []
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.stopped = threading.Event()
        for _ in range(ahead):
            self._submit_next()

    def _submit_next(self) -> None:
        chunk = next(self._todo, None)
        if chunk is not None:
            self._pending.append((chunk, self._prepare(chunk)))

    def take(self):
        """Return the next (chunk, job) for a session, or None when all are handed out or the run stopped."""
        with self._changed:
            while True:
                if self.stopped.is_set() or not self._pending:
                    return None
                free = [entry for entry in self._pending if entry[0].table not in self._busy]
                if free:
                    # A chunk whose file is already written first, so no session waits on the generator.
                    entry = next((e for e in free if e[1].ready()), free[0])
                    self._pending.remove(entry)
                    self._busy.add(entry[0].table)
                    self._submit_next()
                    return entry
                self._changed.wait()

    def done(self, chunk: Chunk) -> None:
        with self._changed:
            self._busy.discard(chunk.table)
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self.stopped.set()
            self._changed.notify_all()


def load_concurrently(loader_info, plan: Plan, chunks: list[Chunk], prepare: Callable[[Chunk], object],
                      sessions: int, ahead: int, on_loaded: Callable[[Chunk], None],
                      remove_files: bool = True, unlogged: bool = False) -> None:
    """Load `chunks` over `sessions` loader sessions; `on_loaded(chunk)` runs after each commit.

    `unlogged`: the sessions keep their writes out of the binary log (bulk_load.open_loader).

    The first error (a refused chunk, an exception from on_loaded, Ctrl-C) stops
    every session after its current chunk, which commits or rolls back whole, and
    is raised here.
    """
    scheduler = Scheduler(chunks, prepare, ahead)
    errors: list[BaseException] = []
    report = threading.Lock()

    def session() -> None:
        try:
            conn = bulk_load.open_loader(loader_info, unlogged)
        except BaseException as exc:   # noqa: BLE001 - handed to the caller below
            errors.append(exc)
            scheduler.stop()
            return
        try:
            while (entry := scheduler.take()) is not None:
                chunk, job = entry
                try:
                    path = _wait_for_file(job, scheduler.stopped)
                    if path is None:
                        return
                    bulk_load.load_chunk(conn, plan, chunk, path)
                    if remove_files:
                        path.unlink()
                    with report:
                        on_loaded(chunk)
                finally:
                    scheduler.done(chunk)
        except BaseException as exc:   # noqa: BLE001 - handed to the caller below
            errors.append(exc)
            scheduler.stop()
        finally:
            conn.close()

    threads = [threading.Thread(target=session, name=f"hms-loader-{n}") for n in range(max(1, sessions))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:
        scheduler.stop()     # Ctrl-C: let each session finish (commit or roll back) its chunk
        for thread in threads:
            thread.join()
        raise
    if errors:
        raise errors[0]


def _wait_for_file(job, stopped: threading.Event):
    """Return the job's file, or None once the run stopped (Ctrl-C may have killed the generator)."""
    while True:
        try:
            return job.get(timeout=0.5)
        except multiprocessing.TimeoutError:
            if stopped.is_set():
                return None


class Ready:
    """A job for a file that already exists (the benchmark's LOAD DATA alone)."""

    def __init__(self, path):
        self.path = path

    def ready(self) -> bool:
        return True

    def get(self, timeout=None):
        return self.path
