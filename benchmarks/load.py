"""Loading the dataset: `hms seed` against LOAD DATA alone, mariadb-import and naive INSERTs.

    python benchmarks/load.py [--scale S] [--workers N] [--naive-scale S]

All four run in one go on the same server (the embedded one in HMS_HOME, or
--url / HMS_DATABASE_URL), each into its own freshly migrated scratch database:

  (a) ours: `hms seed` end to end (generation overlapped with LOAD DATA, index build)
  (g) generation alone: the same chunks written to files by N workers, no server
  (b) LOAD DATA alone of those files, one session, then the index build
  (c) mariadb-import/mysqlimport --use-threads=N --local of those files, then the index build
  (d) naive: Faker per row and executemany INSERT (patients and bills), at --naive-scale

Prints a table and writes benchmarks/results/load-<scale>.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hms import dialect as dialects  # noqa: E402
from hms.config import Settings  # noqa: E402
from hms.db import connect, defaults_file, info_from_settings  # noqa: E402
from hms.migrate import Migrator  # noqa: E402
from seed import load, scale  # noqa: E402
from seed.generate import Plan, write_chunk  # noqa: E402
from seed.run import parse_options, run  # noqa: E402
from seed.tables import COLUMNS  # noqa: E402
from seed.world import world  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
STOCK_TRIGGER = "trg_prescription_medication_stock"


def fresh(info, name):
    """A freshly migrated scratch database."""
    target = info.with_database(name)
    drop(info, name)
    Migrator(target).migrate()
    return target


def drop(info, name):
    conn = connect(info, database=None)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def run_ours(info, args, as_of):
    target = fresh(info, "hms_bench_ours")
    options = parse_options(str(args.scale), str(args.seed), str(args.workers), as_of_text=as_of.isoformat())
    started = time.monotonic()
    result = run(target, options, quiet=not args.progress)
    seconds = time.monotonic() - started
    drop(info, target.database)
    return {"seconds": seconds, "index_seconds": result.index_seconds, "rows": result.rows_loaded}


def generate_files(plan, workers, directory):
    """Generation alone: every chunk written to `directory` by a pool of workers."""
    warm = world(plan.seed, plan.scale, plan.as_of)
    warm.pools, warm.date_strings, warm.doctor_department, warm.stocked
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        paths = pool.starmap(write_chunk, [(plan, chunk, directory) for chunk in plan.chunks()])
    return time.monotonic() - started, paths


def run_load_data_alone(info, plan, paths):
    target = fresh(info, "hms_bench_loaddata")
    admin = connect(target)
    try:
        load.drop_secondary_indexes(admin, target.database)
        with load.LoaderAccount(target) as loader_info:
            conn = load.open_loader(loader_info)
            started = time.monotonic()
            try:
                for chunk, path in zip(plan.chunks(), paths):
                    load.load_chunk(conn, plan, chunk, path)
            finally:
                conn.close()
            loaded = time.monotonic() - started
        index_started = time.monotonic()
        load.create_secondary_indexes(admin, target.database)
        index_seconds = time.monotonic() - index_started
    finally:
        admin.close()
    drop(info, target.database)
    return {"seconds": loaded + index_seconds, "load_seconds": loaded, "index_seconds": index_seconds}


def run_import_tool(info, plan, paths, workers, directory):
    """mariadb-import --use-threads of one file per table (named after it), then the indexes."""
    target = fresh(info, "hms_bench_import")
    admin = connect(target)
    dialect = dialects.for_connection(admin)
    tool = dialects._which(*dialect.import_names)
    if tool is None:
        admin.close()
        return None
    per_table = Path(directory) / "by-table"
    per_table.mkdir()
    files = {}
    for chunk, path in zip(plan.chunks(), paths):
        target_file = per_table / f"{chunk.table}.tsv"
        with open(target_file, "ab") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out)
        files[chunk.table] = target_file
    try:
        load.drop_secondary_indexes(admin, target.database)
        with admin.cursor() as cur:
            # The tool cannot skip the stock trigger per session: drop it for the load.
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
        load.create_secondary_indexes(admin, target.database)
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
    """Faker per row, executemany INSERT in batches of 1,000: patients and their bills."""
    from faker import Faker

    target = fresh(info, "hms_bench_naive")
    fake = Faker("en_US")
    fake.seed_instance(1)
    rng = random.Random(1)
    patients = scale.row_count("patient", naive_scale)
    bills = scale.row_count("billing", naive_scale)
    conn = connect(target, autocommit=False)
    started = time.monotonic()
    try:
        with conn.cursor() as cur:
            batch = []
            for i in range(1, patients + 1):
                batch.append((fake.first_name(), fake.last_name(),
                              fake.date_of_birth(minimum_age=0, maximum_age=95),
                              rng.choice(["Female", "Male"]), f"+1-{fake.msisdn()[:10]}-{i}"[:20],
                              fake.email(), fake.street_address(), fake.city()))
                if len(batch) == 1000 or i == patients:
                    cur.executemany("INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, "
                                    "email, address, city) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", batch)
                    conn.commit()
                    batch = []
            for i in range(1, bills + 1):
                day = fake.date_between(start_date="-3y", end_date="today")
                batch.append((rng.randint(1, patients), round(rng.uniform(20, 900), 2), day,
                              day + timedelta(days=30), rng.choice(["Paid", "Pending"])))
                if len(batch) == 1000 or i == bills:
                    cur.executemany("INSERT INTO billing (patient_id, total_amount, bill_date, due_date, "
                                    "payment_status) VALUES (%s, %s, %s, %s, %s)", batch)
                    conn.commit()
                    batch = []
    finally:
        conn.close()
    seconds = time.monotonic() - started
    drop(info, target.database)
    return {"seconds": seconds, "rows": patients + bills, "scale": naive_scale}


def machine():
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--naive-scale", type=float, default=0.002)
    parser.add_argument("--progress", action="store_true", help="show hms seed's progress bars")
    args = parser.parse_args()
    info = info_from_settings(Settings.from_env())
    as_of = date.today()
    plan = Plan(args.seed, args.scale, as_of)
    total = sum(plan.counts.values())
    conn = connect(info, database=None)
    version = conn.get_server_info()
    conn.close()

    results = {"scale": args.scale, "rows": total, "workers": args.workers, "server": version,
               "machine": machine(), "date": as_of.isoformat()}
    print(f"scale {args.scale:g}: {total:,} rows, {args.workers} workers, server {version}", flush=True)
    results["ours"] = run_ours(info, args, as_of)
    print(f"(a) hms seed done in {results['ours']['seconds']:.1f} s", flush=True)
    spool = Path(tempfile.mkdtemp(prefix="hms-bench-load-"))
    try:
        gen_seconds, paths = generate_files(plan, args.workers, spool)
        results["generation"] = {"seconds": gen_seconds}
        print(f"(g) generation alone done in {gen_seconds:.1f} s", flush=True)
        results["load_data"] = run_load_data_alone(info, plan, paths)
        print(f"(b) LOAD DATA alone done in {results['load_data']['seconds']:.1f} s", flush=True)
        results["import_tool"] = run_import_tool(info, plan, paths, args.workers, spool)
        print("(c) import tool done", flush=True)
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    results["naive"] = run_naive(info, args.naive_scale)
    print("(d) naive done", flush=True)

    rate = lambda rows, seconds: rows / seconds if seconds else 0.0  # noqa: E731
    ours = rate(total, results["ours"]["seconds"])
    rows = [("(a) hms seed (generate + LOAD DATA + indexes)", results["ours"]["seconds"], ours),
            ("(g) generation alone", gen_seconds, rate(total, gen_seconds)),
            ("(b) LOAD DATA alone + indexes", results["load_data"]["seconds"],
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
              "a_over_d_rate": ours / rate(naive["rows"], naive["seconds"])}
    results["ratios"] = ratios
    print(f"\n(a)/(b) time: {ratios['a_over_b_time']:.2f}x (target <= 1.25)")
    if ratios["c_over_a_time"] is not None:
        print(f"(c)/(a) time: {ratios['c_over_a_time']:.2f}x (target >= 1.0: ours at least as fast)")
    print(f"(a)/(d) rows/s: {ratios['a_over_d_rate']:.0f}x (target > 100)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"load-{args.scale:g}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
