"""Loading the dataset: `hms seed` against LOAD DATA alone, mariadb-import and naive INSERTs.

    python benchmarks/load.py [--scale S] [--workers N] [--naive-scale S] [--no-logged] [--runs N]

All run in one go on the same server (the embedded one in HMS_HOME, or
--url / HMS_DATABASE_URL), each into its own freshly migrated scratch database:

  (a) ours: `hms seed` end to end (generation overlapped with N loader sessions, index build);
      with the binary log on, not logged (the default, see seed/seed_log.py)
  (a+) ours with --log-bin: the same, every row written to the binary log
  (g) generation alone: the same chunks written to files by N workers, no server
  (b) LOAD DATA alone of those files: the same N sessions and scheduler as (a), then the
      rows (a) derived after its load (scheduling, invoices, payments, stock, summaries: read
      out of (a)'s database once, benchmarks/derived_files.py) in N sessions, then the same
      index build: the same dataset, the physical limit of this server at N-way parallelism;
      sessions logged as (a) is (sql_log_bin = 0 when the binary log is on). Its chunks and
      index build alone (the thirteen tables) are reported too, as (b13)
  (b+) LOAD DATA alone, sessions logged as the server is set (what a bare LOAD DATA gets)
  (c) mariadb-import/mysqlimport --use-threads=N --local of one file per table (the derived
      tables' files too), then the index build
  (d) naive: Faker per row and executemany INSERT into all 13 tables (benchmarks/naive.py), at --naive-scale

(a+) and (b+) run only when the server writes a binary log (and not with --no-logged).
Each step reports the bytes it added to the binary log. The machine's load average is
sampled during each step (other work may share it).
Prints a table and writes benchmarks/results/load-<scale>.json.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import tempfile
import threading
from datetime import date
from pathlib import Path

import derived_files
import harness  # first: puts this checkout's code on sys.path
from harness import Column, clock, connect, drop_database, session
from hms import dialect as dialects
from hms.identifiers import quote_name
from hms.migrations import Migrator
from hms.optionfiles import defaults_file
from naive import run_naive as naive_load
from seed import bulk_load, parallel, scale
from seed.generate import Plan, write_chunk
from seed.run import parse_options, run
from seed.tables import COLUMNS
from seed.world import world

STOCK_TRIGGER = "trg_prescription_medication_stock"
SCHEDULING_TRIGGERS = ("trg_appointment_bookable_insert", "trg_appointment_claims_insert")


def fresh(info, name):
    """A freshly migrated scratch database."""
    target = info.with_database(name)
    drop_database(info, name)
    Migrator(target).migrate()
    return target


def binlog_bytes(info):
    """Bytes in the server's binary logs, or None when it writes none."""
    with session(info, database=None) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@GLOBAL.log_bin")
        if not int(cur.fetchone()[0]):
            return None
        cur.execute("SHOW BINARY LOGS")
        return sum(int(row[1]) for row in cur.fetchall())


def logged(function):
    """Wrap a step so its result also holds the bytes it added to the binary log."""
    def step(info, *arguments):
        before = binlog_bytes(info)
        result = function(info, *arguments)
        if result is not None and before is not None:
            result["binlog_bytes"] = binlog_bytes(info) - before
        return result
    return step


def run_ours(info, args, as_of, log_bin=False, derived=None):
    """(a): hms seed into a fresh database; `derived` (a dict), when empty, receives the files of
    the rows it derived (derived_files.export, untimed), for the baselines."""
    name = "hms_bench_ours_logged" if log_bin else "hms_bench_ours"
    target = fresh(info, name)
    options = parse_options(str(args.scale), str(args.seed), str(args.workers), as_of_text=as_of.isoformat(),
                            log_bin=log_bin)
    started = clock()
    result = run(target, options, quiet=not args.progress)
    seconds = clock() - started
    if derived is not None and not derived:
        derived.update(derived_files.export(info, target.database, args.derived_dir))
    if not args.keep or log_bin:
        drop_database(info, target.database)
    return {"seconds": seconds, "index_seconds": result.index_seconds, "rows": result.rows_loaded,
            "logged": result.logging.logged,
            "kept_database": target.database if args.keep and not log_bin else None}


def generate_files(plan, workers, directory):
    """Generation alone: every chunk written to `directory` by a pool of workers."""
    world(plan.seed, plan.scale, plan.as_of).warm()
    started = clock()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        paths = pool.starmap(write_chunk, [(plan, chunk, directory) for chunk in plan.chunks()])
    return clock() - started, paths


def run_load_data_alone(info, plan, paths, workers, unlogged, derived):
    """LOAD DATA of the written files over `workers` loader sessions (same scheduler as hms seed),
    then of the derived tables' files (`derived`, from (a)), then indexes.

    `unlogged`: the sessions SET sql_log_bin = 0, as hms seed's do by default.
    """
    target = fresh(info, "hms_bench_loaddata")
    admin = connect(target)
    try:
        bulk_load.drop_secondary_indexes(admin, target.database)
        derived_files.clear(admin, derived)
    finally:
        admin.close()
    by_chunk = dict(zip(plan.chunks(), paths))
    with bulk_load.LoaderAccount(target, unlogged=unlogged) as loader_info:
        started = clock()
        parallel.load_concurrently(loader_info, plan, parallel.interleaved(plan.chunks()),
                                   lambda chunk: parallel.Ready(by_chunk[chunk]), sessions=workers,
                                   ahead=len(paths), on_loaded=lambda chunk: None, remove_files=False,
                                   unlogged=unlogged)
        chunks_loaded = clock() - started
        derived_rows = derived_files.load(loader_info, derived, workers, unlogged)
        loaded = clock() - started
    index_started = clock()
    bulk_load.create_secondary_indexes(target, workers)
    index_seconds = clock() - index_started
    drop_database(info, target.database)
    return {"seconds": loaded + index_seconds, "load_seconds": loaded, "index_seconds": index_seconds,
            "chunks_seconds": chunks_loaded, "derived_seconds": loaded - chunks_loaded,
            "derived_rows": derived_rows, "thirteen_tables_seconds": chunks_loaded + index_seconds,
            "sessions": workers, "logged": not unlogged}


def per_table_files(plan, paths, directory):
    """One file per table, named after it (what mariadb-import wants), made once."""
    per_table = Path(directory) / "by-table"
    files = {chunk.table: per_table / f"{chunk.table}.tsv" for chunk in plan.chunks()}
    if not per_table.exists():
        per_table.mkdir()
        for chunk, path in zip(plan.chunks(), paths):
            with open(files[chunk.table], "ab") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out)
    return files


def run_import_tool(info, plan, paths, workers, directory, derived):
    """mariadb-import --use-threads of one file per table, then the indexes.

    The tool's own way: --ignore-foreign-keys, unique checks on, one transaction
    per file, and the triggers hms_loader's sessions skip (stock, billing, scheduling)
    dropped for the load: the tool's sessions cannot be those (it has no init-command
    to set @hms_seed_loading, and does not accept one in an option file).
    """
    target = fresh(info, "hms_bench_import")
    admin = connect(target)
    dialect = dialects.for_connection(admin)
    tool = dialects._which(*dialect.import_names)
    if tool is None:
        admin.close()
        return None
    files = per_table_files(plan, paths, directory)
    try:
        bulk_load.drop_secondary_indexes(admin, target.database)
        derived_files.clear(admin, derived)
        with admin.cursor() as cur:
            # No bypass for the tool's sessions either: drop every trigger hms_loader's sessions skip.
            cur.execute("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s "
                        "AND ACTION_STATEMENT LIKE %s", (target.database, "%seed_loader_bypass%"))
            skipped = {row[0] for row in cur.fetchall()} | {STOCK_TRIGGER, *SCHEDULING_TRIGGERS}
            for trigger in sorted(skipped):
                cur.execute(f"DROP TRIGGER IF EXISTS {quote_name(trigger)}")
        generated_column = [t for t in files if t == "appointment"]
        plain = [str(files[t]) for t in files if t not in generated_column]
        with defaults_file(target) as cnf:
            base = [tool, f"--defaults-extra-file={cnf}", "--local", "--ignore-foreign-keys", "--silent"]
            started = clock()
            jobs = [subprocess.Popen(base + [f"--use-threads={workers}", target.database] + plain)]
            for table in generated_column:
                jobs.append(subprocess.Popen(base + [f"--columns={','.join(COLUMNS[table])}", target.database,
                                                     str(files[table])]))
            codes = [job.wait() for job in jobs]
            # Then the derived tables' files (named after their tables), `workers` at a time, each
            # with its stored columns (some tables have generated ones).
            pending = sorted(derived.items(), key=lambda item: -item[1][2])
            while pending and not any(codes):
                batch, pending = pending[:workers], pending[workers:]
                jobs = [subprocess.Popen(base + [f"--columns={','.join(columns)}", target.database, str(path)])
                        for _, (path, columns, _) in batch]
                codes += [job.wait() for job in jobs]
            loaded = clock() - started
        if any(codes):
            raise SystemExit(f"{tool} failed with exit codes {codes}")
        index_started = clock()
        bulk_load.create_secondary_indexes(target, workers)
        index_seconds = clock() - index_started
        counts = {t: _count(admin, t) for t in scale.TABLES}
        if counts != plan.counts:
            raise SystemExit(f"{tool} loaded {counts}, expected {plan.counts}")
        counts = {t: _count(admin, t) for t in derived}
        if counts != {t: rows for t, (_, _, rows) in derived.items()}:
            raise SystemExit(f"{tool} loaded {counts} of the derived tables, expected their files' rows")
    finally:
        admin.close()
    drop_database(info, target.database)
    return {"tool": Path(tool).name, "seconds": loaded + index_seconds, "load_seconds": loaded,
            "index_seconds": index_seconds}


def _count(conn, table):
    with conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM `{table}`")
        return cur.fetchone()[0]


def run_naive(info, naive_scale):
    """Faker per row and executemany INSERT into all 13 tables (benchmarks/naive.py)."""
    target = fresh(info, "hms_bench_naive")
    try:
        return naive_load(target, naive_scale)
    finally:
        drop_database(info, target.database)


class LoadAverage:
    """Samples the 1-minute load average every few seconds while a step runs."""

    def __init__(self, every: float = 5.0):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every):
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(every):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        return {"min": min(self.samples), "mean": round(sum(self.samples) / len(self.samples), 2),
                "max": max(self.samples)}


def main() -> None:
    parser = harness.arguments(__doc__, scale=0.1, database=False)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--naive-scale", type=float, default=0.001)
    parser.add_argument("--progress", action="store_true", help="show hms seed's progress bars")
    parser.add_argument("--keep", action="store_true",
                        help="keep (a)'s database hms_bench_ours, e.g. to time `hms seed verify` on it")
    parser.add_argument("--no-logged", action="store_true",
                        help="skip (a+) and (b+), the runs that write every row to the binary log")
    parser.add_argument("--runs", type=int, default=1,
                        help="run (a), (b), (a+), (b+) this many times, interleaved, and keep each one's best: "
                             "on a shared machine the least disturbed run is the closest to the truth")
    args = parser.parse_args()
    info = harness.login()
    as_of = date.today()
    plan = Plan(args.seed, args.scale, as_of)
    total = sum(plan.counts.values())
    facts = harness.machine(info)
    facts["cpus"] = facts["cores"]            # the name load-*.json has always used
    version = facts["server"]
    results = {"scale": args.scale, "rows": total, "workers": args.workers, "server": version,
               "date": as_of.isoformat(), "load_average": {}, "runs": args.runs, "samples": {}}

    def step(key, label, function, *arguments):
        """Run one step; of repeated runs, keep the fastest (its load average beside it), list all."""
        with LoadAverage() as sampled:
            outcome = function(*arguments)
        if outcome:
            results["samples"].setdefault(key, []).append(round(outcome["seconds"], 2))
        best = results.get(key)
        if key not in results or (outcome and best and outcome["seconds"] < best["seconds"]):
            results[key] = outcome
            results["load_average"][key] = sampled.summary()
        seconds = f"{outcome['seconds']:.1f} s" if outcome else "skipped (no tool)"
        print(f"{label}: {seconds} (load average {sampled.summary()})", flush=True)

    print(f"scale {args.scale:g}: {total:,} rows, {args.workers} workers, server {version}, "
          f"load average now {os.getloadavg()[0]:.2f}", flush=True)
    with_logged = binlog_bytes(info) is not None and not args.no_logged
    results["binlog"] = binlog_bytes(info) is not None
    spool = Path(tempfile.mkdtemp(prefix="hms-bench-load-"))
    args.derived_dir = spool / "derived"
    derived = {}       # filled by the first (a) run, loaded by every baseline
    try:
        paths = []
        step("generation", "(g) generation alone", lambda: _timed_generation(plan, args.workers, spool, paths))
        for _ in range(max(1, args.runs)):   # interleaved, so drifting load hits every step alike
            step("ours", "(a) hms seed", logged(run_ours), info, args, as_of, False, derived)
            step("load_data", "(b) LOAD DATA alone", logged(run_load_data_alone), info, plan, paths, args.workers,
                 results["binlog"], derived)
            if with_logged:
                step("ours_logged", "(a+) hms seed --log-bin", logged(run_ours), info, args, as_of, True)
                step("load_data_logged", "(b+) LOAD DATA alone, logged", logged(run_load_data_alone), info, plan,
                     paths, args.workers, False, derived)
        results["derived_rows"] = {table: rows for table, (_, _, rows) in derived.items()}
        step("import_tool", "(c) import tool", logged(run_import_tool), info, plan, paths, args.workers, spool,
             derived)
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    step("naive", "(d) naive", logged(run_naive), info, args.naive_scale)

    rate = lambda rows, seconds: rows / seconds if seconds else 0.0  # noqa: E731
    ours = rate(total, results["ours"]["seconds"])
    gen_seconds = results["generation"]["seconds"]

    def binlog_mb(key):
        return (results[key].get("binlog_bytes") or 0) / 1e6

    unlogged = " (not logged)" if results["binlog"] else ""
    rows = [(f"(a) hms seed (generate + LOAD DATA + indexes){unlogged}", results["ours"]["seconds"], ours,
             binlog_mb("ours")),
            ("(g) generation alone", gen_seconds, rate(total, gen_seconds), 0.0),
            (f"(b) LOAD DATA alone (+ derived), {args.workers} sessions + indexes{unlogged}", results["load_data"]["seconds"],
             rate(total, results["load_data"]["seconds"]), binlog_mb("load_data"))]
    if with_logged:
        rows.insert(1, ("(a+) hms seed --log-bin", results["ours_logged"]["seconds"],
                        rate(total, results["ours_logged"]["seconds"]), binlog_mb("ours_logged")))
        rows.append((f"(b+) LOAD DATA alone, {args.workers} sessions + indexes, logged",
                     results["load_data_logged"]["seconds"], rate(total, results["load_data_logged"]["seconds"]),
                     binlog_mb("load_data_logged")))
    if results["import_tool"]:
        tool = results["import_tool"]
        rows.append((f"(c) {tool['tool']} --use-threads={args.workers} + indexes", tool["seconds"],
                     rate(total, tool["seconds"]), binlog_mb("import_tool")))
    naive = results["naive"]
    rows.append((f"(d) naive Faker + executemany (scale {naive['scale']:g}, {naive['rows']:,} rows)",
                 naive["seconds"], rate(naive["rows"], naive["seconds"]), binlog_mb("naive")))
    print()
    harness.table([Column("method", 66, left=True), Column("seconds", 9, ".1f"), Column("rows/s", 12, ",.0f"),
                   Column("binlog MB", 10, ",.1f")], rows)
    ratios = {"a_over_b_time": results["ours"]["seconds"] / results["load_data"]["seconds"],
              "c_over_a_time": (results["import_tool"]["seconds"] / results["ours"]["seconds"]
                                if results["import_tool"] else None),
              "a_over_d_rate": ours / rate(naive["rows"], naive["seconds"]),
              "generation_rows_per_second": rate(total, gen_seconds)}
    if with_logged:
        ratios["a_over_b_logged_time"] = results["ours"]["seconds"] / results["load_data_logged"]["seconds"]
        ratios["a_logged_over_b_logged_time"] = (results["ours_logged"]["seconds"]
                                                 / results["load_data_logged"]["seconds"])
        ratios["binlog_bytes_per_row_logged"] = results["ours_logged"]["binlog_bytes"] / total
        ratios["binlog_bytes_per_row_unlogged"] = results["ours"]["binlog_bytes"] / total
    results["ratios"] = ratios
    if args.runs > 1:
        print("\nseconds of every run, best kept: " + "; ".join(
            f"{key} {', '.join(f'{x:.1f}' for x in samples)}" for key, samples in results["samples"].items()))
    derived_rows = sum(results["derived_rows"].values())
    b13 = results["load_data"]["thirteen_tables_seconds"]
    ratios["a_over_b13_time"] = results["ours"]["seconds"] / b13
    print(f"\n(b) loaded {total:,} generated rows and {derived_rows:,} derived rows "
          f"({len(results['derived_rows'])} tables): chunks {results['load_data']['chunks_seconds']:.1f} s, "
          f"derived {results['load_data']['derived_seconds']:.1f} s, indexes {results['load_data']['index_seconds']:.1f} s")
    print(f"(a)/(b) time: {ratios['a_over_b_time']:.2f}x (target <= 1.25; both logged alike; the same dataset)")
    print(f"(a)/(b13) time: {ratios['a_over_b13_time']:.2f}x (against the thirteen tables' chunks and indexes "
          f"alone, {b13:.1f} s: what (b) measured before hms seed derived more tables)")
    if with_logged:
        print(f"(a)/(b+) time: {ratios['a_over_b_logged_time']:.2f}x (ours unlogged vs a bare, logged LOAD DATA)")
        print(f"(a+)/(b+) time: {ratios['a_logged_over_b_logged_time']:.2f}x (both logged)")
        print(f"binary log per row: {ratios['binlog_bytes_per_row_logged']:.0f} bytes logged (a+), "
              f"{ratios['binlog_bytes_per_row_unlogged']:.2f} bytes unlogged (a)")
    if ratios["c_over_a_time"] is not None:
        print(f"(c)/(a) time: {ratios['c_over_a_time']:.2f}x (target >= 1.0: ours at least as fast)")
    print(f"(a)/(d) rows/s: {ratios['a_over_d_rate']:.0f}x (target > 100)")
    print(f"generation alone: {ratios['generation_rows_per_second'] / 1e6:.2f}M rows/s (target >= 1M)")
    harness.write_results("load", results, facts, tag=f"{args.scale:g}")   # load-<scale>.json, the latest


def _timed_generation(plan, workers, spool, paths):
    seconds, made = generate_files(plan, workers, spool)
    paths.extend(made)
    return {"seconds": seconds}


if __name__ == "__main__":
    main()
