"""What the query and lookup benchmarks share: the loaded database they run on,
the machine facts they record, timing helpers and where results go."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hms.config import Settings, check_database_name  # noqa: E402
from hms.connection import ConnectionInfo, connect  # noqa: E402
from hms.login import admin_login  # noqa: E402
from hms.errors import HmsError  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Rows at scale 1.0 of the tables the benchmarks read (mission.md section 1, contract.md).
FULL_ROWS = {"patient": 3_000_000, "appointment": 6_000_000, "billing": 6_000_000, "doctor": 3_000}
FLOORS = {"doctor": 15}
# At or below this scale a missing dataset is seeded on the spot; above it, seeding
# takes long enough that the user should start it knowingly.
AUTO_SEED_MAX_SCALE = 0.05


def expected_rows(table: str, scale: float) -> int:
    """Rows `table` holds at `scale` (contract.md: max(floor, round(N x S)), half-up)."""
    return max(FLOORS.get(table, 1), math.floor(FULL_ROWS[table] * scale + 0.5))


def common_arguments(description: str) -> argparse.ArgumentParser:
    """An argument parser with --scale and --database, shared by the benchmarks."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", type=float, default=0.01, help="dataset scale (1.0 = 32M rows)")
    parser.add_argument("--database", default=None,
                        help="database to run on (default: hms_bench_<scale>, e.g. hms_bench_0_01)")
    return parser


def database_name(scale: float, given: str | None) -> str:
    """The benchmark database: the one given, or hms_bench_<scale> so `hms` is never touched."""
    return check_database_name(given or "hms_bench_" + f"{scale:g}".replace(".", "_"))


def table_rows(info: ConnectionInfo) -> dict[str, int] | None:
    """Exact row counts of the benchmark tables, or None when the database or tables are missing."""
    import pymysql

    try:
        conn = connect(info)
    except HmsError:
        return None
    try:
        with conn.cursor() as cur:
            counts = {}
            for table in FULL_ROWS:
                cur.execute(f"SELECT COUNT(*) FROM `{table}`")
                counts[table] = cur.fetchone()[0]
            return counts
    except pymysql.err.ProgrammingError:
        return None
    finally:
        conn.close()


def loaded_database(scale: float, database: str | None) -> ConnectionInfo:
    """Login to a database holding the dataset at `scale`; seeds small scales, refuses otherwise.

    Exits with one line saying what to run first when the database is empty, missing
    or holds another scale.
    """
    settings = Settings.from_env(database=database_name(scale, database))
    info = admin_login(settings)
    name = info.database
    counts = table_rows(info)
    wanted = {t: expected_rows(t, scale) for t in FULL_ROWS}
    if counts == wanted:
        return info
    command = f"hms --database {name} seed --scale {scale:g}"
    if counts and any(counts.values()):
        held = counts["patient"] / FULL_ROWS["patient"]
        fail(f"database '{name}' holds another dataset ({counts['patient']:,} patients, about scale "
             f"{held:.3g}; scale {scale:g} has {wanted['patient']:,})",
             f"Run `{command}` into an empty database first, or pass --database")
    if scale > AUTO_SEED_MAX_SCALE:
        fail(f"database '{name}' holds no dataset at scale {scale:g}", f"Run `{command}` first")
    print(f"seeding '{name}' at scale {scale:g} (small scales are seeded on the spot) ...", flush=True)
    hms = Path(sys.executable).with_name("hms")
    for args in (["db", "migrate"], ["seed", "--scale", f"{scale:g}"]):
        done = subprocess.run([str(hms), "--quiet", "--database", name, *args], capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            fail(f"`hms {' '.join(args)}` failed: {last[0]}", f"Run `{command}` by hand and fix what it reports")
    if table_rows(info) != wanted:
        fail(f"database '{name}' does not hold scale {scale:g} after seeding", f"Run `{command}` and check it")
    return info


def fail(what: str, fix: str) -> None:
    """Print one `Error:` line and exit 1."""
    print(f"Error: {what}. {fix}.", file=sys.stderr)
    raise SystemExit(1)


def machine(info: ConnectionInfo) -> dict:
    """Cores, memory, server version and the server settings that shape the figures."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    facts = {"cores": os.cpu_count(), "memory_gib": round(memory / 2**30, 1),
             "cpu": _cpu_model(), "python": platform.python_version(), "load_average": os.getloadavg()}
    conn = connect(info)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            facts["server"] = cur.fetchone()[0]
            cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_buffer_pool_size', "
                        "'innodb_flush_log_at_trx_commit', 'tmp_table_size', 'max_heap_table_size', "
                        "'join_buffer_size', 'sort_buffer_size', 'innodb_log_file_size', "
                        "'innodb_redo_log_capacity', 'optimizer_switch', 'join_cache_level')")
            facts["settings"] = {k: v for k, v in cur.fetchall()}
    finally:
        conn.close()
    return facts


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def median_seconds(samples: list[float]) -> float:
    return statistics.median(samples)


def percentile(sorted_samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of already sorted samples."""
    if not sorted_samples:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_samples)))
    return sorted_samples[rank - 1]


def write_results(name: str, payload: dict) -> Path:
    """Write `payload` as benchmarks/results/<name>-<scale>-<time>.json; return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    path = RESULTS_DIR / f"{name}-scale{payload['scale']:g}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def clock() -> float:
    return time.perf_counter()
