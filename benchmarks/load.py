"""Loading the dataset: `hms seed` against LOAD DATA alone, mariadb-import and naive INSERTs.

    python benchmarks/load.py [--scale S] [--workers N] [--naive-scale S]

All four run in one go on the same server (the embedded one in HMS_HOME, or
--url / HMS_DATABASE_URL), each into its own freshly migrated scratch database:

  (a) ours: `hms seed` end to end (generation overlapped with N loader sessions, index build)
  (g) generation alone: the same chunks written to files by N workers, no server
  (b) LOAD DATA alone of those files: the same N sessions and scheduler as (a), then
      the same index build; the physical limit of this server at N-way parallelism
  (c) mariadb-import/mysqlimport --use-threads=N --local of one file per table, then the index build
  (d) naive: Faker per row and executemany INSERT into all 13 tables (benchmarks/naive.py), at --naive-scale

The machine's load average is sampled during each step (other work may share it).
Prints a table and writes benchmarks/results/load-<scale>.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import threading
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from hms import dialect as dialects  # noqa: E402
from hms.config import Settings  # noqa: E402
from hms.connection import connect  # noqa: E402
from hms.login import admin_login  # noqa: E402
from hms.optionfiles import defaults_file  # noqa: E402
from hms.migrations import Migrator, console_schema  # noqa: E402
from seed import bulk_load, parallel, scale  # noqa: E402
from seed.generate import Plan, write_chunk  # noqa: E402
from seed.run import parse_options, run  # noqa: E402
from seed.tables import COLUMNS  # noqa: E402
from seed.world import world  # noqa: E402
from naive import run_naive as naive_load  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
STOCK_TRIGGER = "trg_prescription_medication_stock"


def fresh(info, name):
    """A freshly migrated scratch database."""
    target = info.with_database(name)
    drop(info, name)
    Migrator(target).migrate()
    return target


def drop(info, name):
    """Drop a scratch database and the companion schema `hms db migrate` made with it."""
    conn = connect(info, database=None)
    with conn.cursor() as cur:
        for each in (name, console_schema(name)):
            cur.execute(f"DROP DATABASE IF EXISTS `{each}`")
    conn.close()


def run_ours(info, args, as_of):
    target = fresh(info, "hms_bench_ours")
    options = parse_options(str(args.scale), str(args.seed), str(args.workers), as_of_text=as_of.isoformat())
    started = time.monotonic()
    result = run(target, options, quiet=not args.progress)
    seconds = time.monotonic() - started
    if not args.keep:
        drop(info, target.database)
    return {"seconds": seconds, "index_seconds": result.index_seconds, "rows": result.rows_loaded,
            "kept_database": target.database if args.keep else None}


def generate_files(plan, workers, directory):
    """Generation alone: every chunk written to `directory` by a pool of workers."""
    world(plan.seed, plan.scale, plan.as_of).warm()
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        paths = pool.starmap(write_chunk, [(plan, chunk, directory) for chunk in plan.chunks()])
    return time.monotonic() - started, paths


def run_load_data_alone(info, plan, paths, workers):
    """LOAD DATA of the written files over `workers` loader sessions (same scheduler as hms seed), then indexes."""
    target = fresh(info, "hms_bench_loaddata")
    admin = connect(target)
    try:
        bulk_load.drop_secondary_indexes(admin, target.database)
    finally:
        admin.close()
    by_chunk = dict(zip(plan.chunks(), paths))
    with bulk_load.LoaderAccount(target) as loader_info:
        started = time.monotonic()
        parallel.load_concurrently(loader_info, plan, parallel.interleaved(plan.chunks()),
                                   lambda chunk: parallel.Ready(by_chunk[chunk]), sessions=workers,
                                   ahead=len(paths), on_loaded=lambda chunk: None, remove_files=False)
        loaded = time.monotonic() - started
    index_started = time.monotonic()
    bulk_load.create_secondary_indexes(target, workers)
    index_seconds = time.monotonic() - index_started
    drop(info, target.database)
    return {"seconds": loaded + index_seconds, "load_seconds": loaded, "index_seconds": index_seconds,
            "sessions": workers}


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


def run_import_tool(info, plan, paths, workers, directory):
    """mariadb-import --use-threads of one file per table, then the indexes.

    The tool's own way: --ignore-foreign-keys, unique checks on, one transaction
    per file, and the stock trigger dropped for the load: its sessions cannot be
    the hms_loader sessions that skip it (the tool has no init-command to set
    @hms_seed_loading, and does not accept one in an option file).
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
        with admin.cursor() as cur:
            cur.execute(f"DROP TRIGGER IF EXISTS {STOCK_TRIGGER}")
        generated_column = [t for t in files if t == "appointment"]
        plain = [str(files[t]) for t in files if t not in generated_column]
        with defaults_file(target) as cnf:
            base = [tool, f"--defaults-extra-file={cnf}", "--local", "--ignore-foreign-keys", "--silent"]
            started = time.monotonic()
            jobs = [subprocess.Popen(base + [f"--use-threads={workers}", target.database] + plain)]
            for table in generated_column:
                jobs.append(subprocess.Popen(base + [f"--columns={','.join(COLUMNS[table])}", target.database,
                                                     str(files[table])]))
            codes = [job.wait() for job in jobs]
            loaded = time.monotonic() - started
        if any(codes):
            raise SystemExit(f"{tool} failed with exit codes {codes}")
        index_started = time.monotonic()
        bulk_load.create_secondary_indexes(target, workers)
        index_seconds = time.monotonic() - index_started
        counts = {t: _count(admin, t) for t in scale.TABLES}
        if counts != plan.counts:
            raise SystemExit(f"{tool} loaded {counts}, expected {plan.counts}")
    finally:
        admin.close()
    drop(info, target.database)
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
        drop(info, target.database)


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


def machine():
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--naive-scale", type=float, default=0.001)
    parser.add_argument("--progress", action="store_true", help="show hms seed's progress bars")
    parser.add_argument("--keep", action="store_true",
                        help="keep (a)'s database hms_bench_ours, e.g. to time `hms seed verify` on it")
    args = parser.parse_args()
    info = admin_login(Settings.from_env())
    as_of = date.today()
    plan = Plan(args.seed, args.scale, as_of)
    total = sum(plan.counts.values())
    conn = connect(info, database=None)
    version = conn.get_server_info()
    conn.close()

    results = {"scale": args.scale, "rows": total, "workers": args.workers, "server": version,
               "machine": machine(), "date": as_of.isoformat(), "load_average": {}}

    def step(key, label, function, *arguments):
        with LoadAverage() as sampled:
            results[key] = function(*arguments)
        results["load_average"][key] = sampled.summary()
        seconds = f"{results[key]['seconds']:.1f} s" if results[key] else "skipped (no tool)"
        print(f"{label}: {seconds} (load average {sampled.summary()})", flush=True)

    print(f"scale {args.scale:g}: {total:,} rows, {args.workers} workers, server {version}, "
          f"load average now {os.getloadavg()[0]:.2f}", flush=True)
    step("ours", "(a) hms seed", run_ours, info, args, as_of)
    spool = Path(tempfile.mkdtemp(prefix="hms-bench-load-"))
    try:
        paths = []
        step("generation", "(g) generation alone", lambda: _timed_generation(plan, args.workers, spool, paths))
        step("load_data", "(b) LOAD DATA alone", run_load_data_alone, info, plan, paths, args.workers)
        step("import_tool", "(c) import tool", run_import_tool, info, plan, paths, args.workers, spool)
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    step("naive", "(d) naive", run_naive, info, args.naive_scale)

    rate = lambda rows, seconds: rows / seconds if seconds else 0.0  # noqa: E731
    ours = rate(total, results["ours"]["seconds"])
    gen_seconds = results["generation"]["seconds"]
    rows = [("(a) hms seed (generate + LOAD DATA + indexes)", results["ours"]["seconds"], ours),
            ("(g) generation alone", gen_seconds, rate(total, gen_seconds)),
            (f"(b) LOAD DATA alone, {args.workers} sessions + indexes", results["load_data"]["seconds"],
             rate(total, results["load_data"]["seconds"]))]
    if results["import_tool"]:
        tool = results["import_tool"]
        rows.append((f"(c) {tool['tool']} --use-threads={args.workers} + indexes", tool["seconds"],
                     rate(total, tool["seconds"])))
    naive = results["naive"]
    rows.append((f"(d) naive Faker + executemany (scale {naive['scale']:g}, {naive['rows']:,} rows)",
                 naive["seconds"], rate(naive["rows"], naive["seconds"])))
    print(f"\n{'method':<62} {'seconds':>9} {'rows/s':>12}")
    for name, seconds, per_second in rows:
        print(f"{name:<62} {seconds:>9.1f} {per_second:>12,.0f}")
    ratios = {"a_over_b_time": results["ours"]["seconds"] / results["load_data"]["seconds"],
              "c_over_a_time": (results["import_tool"]["seconds"] / results["ours"]["seconds"]
                                if results["import_tool"] else None),
              "a_over_d_rate": ours / rate(naive["rows"], naive["seconds"]),
              "generation_rows_per_second": rate(total, gen_seconds)}
    results["ratios"] = ratios
    print(f"\n(a)/(b) time: {ratios['a_over_b_time']:.2f}x (target <= 1.25)")
    if ratios["c_over_a_time"] is not None:
        print(f"(c)/(a) time: {ratios['c_over_a_time']:.2f}x (target >= 1.0: ours at least as fast)")
    print(f"(a)/(d) rows/s: {ratios['a_over_d_rate']:.0f}x (target > 100)")
    print(f"generation alone: {ratios['generation_rows_per_second'] / 1e6:.2f}M rows/s (target >= 1M)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"load-{args.scale:g}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


def _timed_generation(plan, workers, spool, paths):
    seconds, made = generate_files(plan, workers, spool)
    paths.extend(made)
    return {"seconds": seconds}


if __name__ == "__main__":
    main()
