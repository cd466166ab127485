"""`hms seed`: check everything, then generate chunks in a process pool while loading them.

Generation overlaps loading: a pool of workers writes chunk files a few chunks
ahead of --workers loader sessions, each loading a different table at a time
(parallel.py) and deleting each file once its chunk committed.
Before anything is written the run checks its options, the schema, local_infile,
the free disk, whether the database already holds data and, with the binary log on,
whether the load may stay out of it (seed_log.py: not while replicas are attached,
unless --log-bin logs it). hms_seed_log records each load and whether it was logged.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from hms import dashboard
from hms.connection import ConnectionInfo, session
from hms.errors import ConfigError, DatabaseError
from hms.migrations import Migrator

from . import bulk_load, derived, parallel, scale, scheduling, seed_log, spool as spools
from .concurrent import side_by_side
from .generate import Chunk, Plan, write_chunk
from .world import world

# Room on disk for this many chunk files per worker, beyond the one being loaded.
AHEAD_PER_WORKER = 2
DISK_MARGIN = 64 << 20
# Bounds on what one machine can do. Scale 10 is 320 million rows; the chunk plan, the
# pools and the load all grow with it, and a typo such as 1e9 would otherwise grow
# memory until the machine runs out.
MAX_SCALE = 10.0
# Generation is CPU-bound: more processes than a few per core only add memory and switching.
WORKERS_PER_CORE = 4
# A generous estimate of one generator process (pools, one chunk in memory) and of the
# parent (plan, loader sessions); checked against the memory free before anything starts.
WORKER_MEMORY = 256 << 20
BASE_MEMORY = 256 << 20


@dataclass(frozen=True)
class SeedOptions:
    """Validated options of one run."""

    scale: float = 1.0
    seed: int = 42
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    resume: bool = False
    as_of: date | None = None
    log_bin: bool = False     # write the load to the binary log (see seed_log.py)


def parse_options(scale_text=None, seed_text=None, workers_text=None, resume=False, as_of_text=None,
                  log_bin=False) -> SeedOptions:
    """Return validated options from command-line text; raise ConfigError naming the fix."""
    values = {"resume": resume, "log_bin": bool(log_bin)}
    if scale_text is not None:
        try:
            value = float(scale_text)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise ConfigError(f"--scale must be a positive number, not '{scale_text}'",
                              "Use e.g. --scale 0.01 (1.0 is the full 32M-row dataset)")
        if value > MAX_SCALE:
            raise ConfigError(f"--scale must be at most {MAX_SCALE:g}, not '{scale_text}': scale {MAX_SCALE:g} "
                              f"is already {MAX_SCALE * 32:g} million rows, beyond what one machine loads",
                              "Use e.g. --scale 1 (the full 32M-row dataset) or less")
        values["scale"] = value
    if seed_text is not None:
        try:
            values["seed"] = int(str(seed_text), 10)
        except ValueError:
            raise ConfigError(f"--seed must be an integer, not '{seed_text}'", "Use e.g. --seed 42") from None
    if workers_text is not None:
        try:
            workers = int(str(workers_text), 10)
        except ValueError:
            workers = 0
        if workers < 1:
            raise ConfigError(f"--workers must be a whole number of at least 1, not '{workers_text}'",
                              f"Use e.g. --workers {os.cpu_count() or 1} (the machine's cores)")
        cores = os.cpu_count() or 1
        if workers > cores * WORKERS_PER_CORE:
            raise ConfigError(f"--workers must be at most {cores * WORKERS_PER_CORE} ({WORKERS_PER_CORE} per core "
                              f"on this machine's {cores}), not '{workers_text}'",
                              f"Use e.g. --workers {cores} (the machine's cores)")
        values["workers"] = workers
    if as_of_text is not None:
        try:
            values["as_of"] = date.fromisoformat(str(as_of_text))
        except ValueError:
            raise ConfigError(f"--as-of must be a date YYYY-MM-DD, not '{as_of_text}'",
                              "Use e.g. --as-of 2025-01-31") from None
        if values["as_of"] > date.today():
            raise ConfigError("--as-of may not be in the future (dates of birth would be)",
                              "Use today's date or an earlier one")
    return SeedOptions(**values)


@dataclass
class SeedResult:
    """What a run loaded and how long it took."""

    plan: Plan
    chunks_loaded: int = 0
    rows_loaded: int = 0
    chunks_skipped: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0
    logging: seed_log.Logging | None = None


def preflight(info: ConnectionInfo, options: SeedOptions, spool_parent: Path) -> tuple[Plan, set]:
    """Check everything before writing; return the plan and the chunks already loaded."""
    check_memory(options.workers)
    migrator = Migrator(info)
    with session(info, database=None) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (info.database,))
            if cur.fetchone()[0] == 0:
                raise DatabaseError(f"database '{info.database}' does not exist", "Create it with `hms db migrate`")
        pending = [s.file for s in migrator.status() if s.state != "applied"]
        if pending:
            raise DatabaseError(f"database '{info.database}' is not fully migrated ({pending[0]}: not applied)",
                                "Run `hms db migrate` first")
        with conn.cursor() as cur:
            cur.execute("SELECT @@GLOBAL.local_infile")
            if not int(cur.fetchone()[0]):
                raise DatabaseError("the server has local_infile off, so LOAD DATA LOCAL INFILE is refused",
                                    "Turn it on: SET GLOBAL local_infile = 1 (or local_infile=1 in my.cnf)")
            conn.select_db(info.database)
            cur.execute("SELECT table_name, chunk_no, seed, scale, as_of FROM hms_seed_chunk")
            recorded = cur.fetchall()
            nonempty = [t for t in scale.TABLES if _has_rows(cur, t)]
    if recorded and options.resume:
        seed, scale_value, as_of = min((r[2], r[3], r[4]) for r in recorded)
        if (seed, scale_value) != (options.seed, options.scale):
            raise ConfigError(f"the loaded chunks are of --seed {seed} --scale {scale_value:g}, "
                              f"not --seed {options.seed} --scale {options.scale:g}",
                              f"Resume with --seed {seed} --scale {scale_value:g}")
        if options.as_of and options.as_of != as_of:
            raise ConfigError(f"the loaded chunks are of --as-of {as_of}", f"Resume with --as-of {as_of}")
        plan = Plan(options.seed, options.scale, as_of)
    elif nonempty and not recorded:
        raise DatabaseError(f"database '{info.database}' already holds data (table {nonempty[0]}) "
                            "that `hms seed` did not load", "Seed an empty database: drop it and run `hms db migrate`")
    elif (nonempty or recorded) and not options.resume:
        raise DatabaseError(f"database '{info.database}' is not empty (table {(nonempty or ['hms_seed_chunk'])[0]})",
                            "Add --resume to finish an interrupted load, or seed a freshly migrated database")
    else:
        plan = Plan(options.seed, options.scale, options.as_of or date.today())
    done = {(r[0], r[1]) for r in recorded}
    _check_disk(plan, options.workers, spool_parent)
    return plan, done


def _has_rows(cur, table: str) -> bool:
    cur.execute(f"SELECT 1 FROM `{table}` LIMIT 1")
    return cur.fetchone() is not None


def _check_disk(plan: Plan, workers: int, spool_parent: Path) -> None:
    # Files written ahead, plus one being loaded by each of the `workers` loader sessions.
    needed = plan.max_chunk_bytes() * (workers * AHEAD_PER_WORKER + workers + 1) + DISK_MARGIN
    check_disk(spool_parent, needed)


def check_disk(directory: Path, needed: int) -> None:
    """Raise ConfigError when `directory` has less than `needed` bytes free."""
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise ConfigError(f"only {free >> 20} MiB free in {directory}; the chunk files need {needed >> 20} MiB",
                          "Free some space, or set TMPDIR to a roomier disk")


def available_memory() -> int | None:
    """Bytes of memory the kernel says are available without swapping, or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(workers: int) -> None:
    """Raise ConfigError when `workers` generator processes would not fit in the free memory."""
    free = available_memory()
    needed = BASE_MEMORY + workers * WORKER_MEMORY
    if free is not None and free < needed:
        fitting = max(0, (free - BASE_MEMORY) // WORKER_MEMORY)
        raise ConfigError(f"only {free >> 20} MiB of memory is free; {workers} worker(s) need about "
                          f"{needed >> 20} MiB", f"Use --workers {fitting} or fewer, or free some memory"
                          if fitting else "Free some memory, then run it again")


def run(info: ConnectionInfo, options: SeedOptions, *, quiet: bool = False, spool_parent: Path | None = None,
        chunk_rows: int | None = None, on_chunk: Callable[[Chunk], None] | None = None) -> SeedResult:
    """Generate and load the dataset into `info.database`; return what was done."""
    spool_parent = Path(spool_parent or tempfile.gettempdir())
    spools.remove_stale(spool_parent)  # chunk files of killed runs, before the disk is measured
    plan, done = preflight(info, options, spool_parent)
    with session(info) as conn:
        logging = seed_log.decide(conn, options.log_bin)
    if chunk_rows:
        plan = Plan(plan.seed, plan.scale, plan.as_of, chunk_rows)
    todo = [c for c in plan.chunks() if (c.table, c.number) not in done]
    result = SeedResult(plan, chunks_skipped=len(plan.chunks()) - len(todo), logging=logging)
    started = time.monotonic()
    spool = spools.create(spool_parent)
    # Build the pools and calendars once here: forked workers inherit them instead
    # of each spending seconds on Faker. The pool is made before any connection or
    # progress thread exists, so forked workers inherit neither.
    world(plan.seed, plan.scale, plan.as_of).warm()
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool = context.Pool(options.workers)
    try:
        with session(info) as admin:   # an ordinary session: what it writes is logged
            if todo:   # a finished load resumed again only makes sure the indexes exist
                # The account first: a refused privilege stops the run before anything changed.
                with bulk_load.LoaderAccount(info, unlogged=logging.unlogged) as loader_info:
                    bulk_load.drop_secondary_indexes(admin, info.database)
                    logged_row = seed_log.begin(admin, plan, logging, options.resume)
                    _load_all(pool, loader_info, plan, todo, spool, options.workers, quiet, result, on_chunk,
                              logging.unlogged)
                    pool.close()
                    _derive(info, loader_info, plan, options.workers, logging.unlogged, quiet, result)
            else:
                logged_row = seed_log.unfinished(admin, plan)
                pool.close()
                if derived.missing(admin):   # a run killed between the chunks and the derived tables
                    with bulk_load.LoaderAccount(info, unlogged=logging.unlogged) as loader_info:
                        _derive(info, loader_info, plan, options.workers, logging.unlogged, quiet, result)
                else:
                    _derive(info, None, plan, options.workers, logging.unlogged, quiet, result)
            if logged_row is not None:
                seed_log.finish(admin, logged_row, sum(plan.counts.values()))
    finally:
        pool.terminate()
        pool.join()
        shutil.rmtree(spool, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


def rows_bar(table: str, rows: int, quiet: bool = False, position: int = 0):
    """A table's progress bar, counted in rows: whole numbers ("15/15"), scaled (1.2M) only
    where the count is large."""
    from tqdm import tqdm

    return tqdm(total=rows, desc=f"{table:<24}", unit=" rows", unit_scale=rows >= 100_000, disable=quiet,
                leave=True, dynamic_ncols=True, position=position)


def _load_all(pool, loader_info, plan, todo, spool, workers, quiet, result, on_chunk, unlogged) -> None:
    remaining = collections.Counter()
    for chunk in todo:
        remaining[chunk.table] += chunk.rows
    # One bar per table from the start: several tables load at once.
    bars = {table: rows_bar(table, rows, quiet, n) for n, (table, rows) in enumerate(remaining.items())}

    def on_loaded(chunk: Chunk) -> None:
        bars[chunk.table].update(chunk.rows)
        result.chunks_loaded += 1
        result.rows_loaded += chunk.rows
        if on_chunk:
            on_chunk(chunk)

    try:
        parallel.load_concurrently(loader_info, plan, parallel.interleaved(todo),
                                   lambda chunk: pool.apply_async(write_chunk, (plan, chunk, spool)),
                                   sessions=workers, ahead=max(2, workers * AHEAD_PER_WORKER), on_loaded=on_loaded,
                                   unlogged=unlogged)
    finally:
        for bar in bars.values():
            bar.close()


def backup_advice(logging: seed_log.Logging | None) -> str:
    """The line `hms seed` ends with: how the load met the binary log, and to take a backup now."""
    backup = ("take a backup now (`hms backup create`): it is the base every later point-in-time "
              "recovery starts from")
    if logging is None or not logging.binlog_on:
        return f"the server writes no binary log: {backup}"
    if logging.logged:
        return f"the load was written to the binary log: {backup}, instead of replaying the whole load"
    return (f"the load was not written to the binary log (it is reproducible from --seed and --scale): "
            f"{backup}; recovery cannot roll forward across the load")


REBUILD_BILLING_SUMMARY = (
    "DELETE FROM patient_billing_summary",
    "INSERT INTO patient_billing_summary (patient_id, bills, total_billed) "
    "SELECT patient_id, COUNT(*), SUM(total_amount) FROM billing GROUP BY patient_id",
)


def rebuild_billing_summary(info: ConnectionInfo, unlogged: bool = False) -> None:
    """Recompute patient_billing_summary from billing in one transaction.

    The loader skips the summary trigger (one upsert per bill would cost more than
    the bills themselves); one grouped pass over the loaded bills replaces it.
    `unlogged`: derived from an unlogged load, it stays out of the binary log too.
    """
    with session(info, autocommit=False) as conn:
        with conn.cursor() as cur:
            if unlogged:
                cur.execute("SET SESSION sql_log_bin = 0")
            for statement in REBUILD_BILLING_SUMMARY:
                cur.execute(statement)
        conn.commit()


def _derive(info: ConnectionInfo, loader_info: ConnectionInfo | None, plan: Plan, sessions: int,
            unlogged: bool, quiet: bool, result: SeedResult) -> None:
    """Everything after the chunks: the secondary indexes, then the rows derived from the loaded
    ones, side by side (the invoices and stock, in the loader's sessions unless `loader_info` is
    None because they are there already; the scheduling tables; the summaries the loader skips),
    then fresh statistics.

    The indexes come first: the summaries' groupings and the scheduling fill read through them
    (scale 0.1: the summaries took 4.5 s of a core without them). scheduling.prepare comes before
    the rest: it cancels double bookings (so the others see final statuses) and adds templates.
    """
    index_started = time.monotonic()
    _build_indexes(info, sessions, quiet)
    result.index_seconds = time.monotonic() - index_started
    scheduling.prepare(info, plan, unlogged)
    jobs = [lambda: scheduling.fill(info, plan, unlogged=unlogged, sessions=sessions),
            lambda: rebuild_billing_summary(info, unlogged=unlogged),
            lambda: dashboard.rebuild(info, unlogged=unlogged)]
    if loader_info is not None:
        jobs.insert(0, lambda: derived.fill(loader_info, plan.as_of, unlogged, sessions))
    side_by_side(*jobs)
    with session(info) as conn:
        with conn.cursor() as cur:
            # Fresh statistics so the optimizer sees the loaded sizes straight away.
            cur.execute("ANALYZE TABLE " + ", ".join(f"`{t}`" for t in scale.TABLES + derived.TABLES))
            cur.fetchall()


def _build_indexes(info: ConnectionInfo, sessions: int, quiet: bool) -> None:
    from tqdm import tqdm

    indexes = bulk_load.secondary_indexes()
    with tqdm(total=len(indexes), desc=f"{'indexes':<24}", unit=" idx", disable=quiet) as bar:
        bulk_load.create_secondary_indexes(info, sessions, on_table=lambda table, made: bar.update(len(made)))
