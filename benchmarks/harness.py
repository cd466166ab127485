"""The one harness every benchmark script uses.

It gives a script: the repository's own code on sys.path (not whatever `hms` the
interpreter has installed), the common arguments (--scale, --database), the login to
the server, the loaded database at a scale (seeded on the spot when small), scratch
databases, the machine facts (cores, memory, CPU, load average, server version and
settings), timing helpers, the side-by-side table and the results JSON under
benchmarks/results/.

    import harness                      # first: puts the checkout on sys.path
    from hms... import ...
"""

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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pymysql  # noqa: E402

from hms.config import Settings, check_database_name  # noqa: E402
from hms.connection import ConnectionInfo, connect, session  # noqa: E402
from hms.databases import console_schema  # noqa: E402
from hms.errors import HmsError  # noqa: E402
from hms.login import admin_login  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Rows at scale 1.0 of the tables the benchmarks read (mission.md section 1, contract.md).
FULL_ROWS = {"patient": 3_000_000, "appointment": 6_000_000, "billing": 6_000_000, "doctor": 3_000}
FLOORS = {"doctor": 15}
# At or below this scale a missing dataset is seeded on the spot; above it, seeding
# takes long enough that the user should start it knowingly.
AUTO_SEED_MAX_SCALE = 0.05
SERVER_SETTINGS = ("innodb_buffer_pool_size", "innodb_flush_log_at_trx_commit", "tmp_table_size",
                   "max_heap_table_size", "join_buffer_size", "sort_buffer_size", "innodb_log_file_size",
                   "innodb_redo_log_capacity", "optimizer_switch", "join_cache_level")

__all__ = ["ROOT", "RESULTS_DIR", "ConnectionInfo", "connect", "session", "arguments", "login",
           "loaded_database", "drop_database", "fail", "machine", "describe", "Column", "table",
           "write_results", "clock", "median", "percentile"]


# --- arguments and login -------------------------------------------------------------------------

def arguments(doc: str, *, scale: float = 0.01, database: str | None | bool = None) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of `doc`, with --scale and --database.

    `database`: None for the default hms_bench_<scale>, a name for a fixed default,
    False for no --database option (the script makes its own scratch databases).
    """
    parser = argparse.ArgumentParser(description=doc.strip().split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=scale, help="dataset scale (1.0 = 32M rows)")
    if database is None:
        parser.add_argument("--database", default=None,
                            help="database to run on (default: hms_bench_<scale>, e.g. hms_bench_0_01)")
    elif database is not False:
        parser.add_argument("--database", default=database, help=f"database to run on (default: {database})")
    return parser


def login(database: str | None = None) -> ConnectionInfo:
    """The administrative login to the server of HMS_HOME or --url / HMS_DATABASE_URL."""
    return admin_login(Settings.from_env(database=database))


def fail(what: str, fix: str) -> None:
    """Print one `Error:` line and exit 1."""
    print(f"Error: {what}. {fix}.", file=sys.stderr)
    raise SystemExit(1)


# --- the loaded database -------------------------------------------------------------------------

def expected_rows(table: str, scale: float) -> int:
    """Rows `table` holds at `scale` (contract.md: max(floor, round(N x S)), half-up)."""
    return max(FLOORS.get(table, 1), math.floor(FULL_ROWS[table] * scale + 0.5))


def database_name(scale: float, given: str | None) -> str:
    """The benchmark database: the one given, or hms_bench_<scale> so `hms` is never touched."""
    return check_database_name(given or "hms_bench_" + f"{scale:g}".replace(".", "_"))


def table_rows(info: ConnectionInfo) -> dict[str, int] | None:
    """Exact row counts of the benchmark tables, or None when the database or tables are missing."""
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
    """Login to a database holding the `hms seed` dataset at `scale`; seeds small scales, refuses otherwise.

    Exits with one line saying what to run first when the database is empty, missing
    or holds another scale.
    """
    info = login(database_name(scale, database))
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
    hms = [sys.executable, str(ROOT / "cli.py")]          # this checkout's CLI, not an installed one
    for args in (["db", "migrate"], ["seed", "--scale", f"{scale:g}"]):
        done = subprocess.run([*hms, "--quiet", "--database", name, *args], capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            fail(f"`hms {' '.join(args)}` failed: {last[0]}", f"Run `{command}` by hand and fix what it reports")
    if table_rows(info) != wanted:
        fail(f"database '{name}' does not hold scale {scale:g} after seeding", f"Run `{command}` and check it")
    return info


def drop_database(info: ConnectionInfo, *names: str) -> None:
    """Drop scratch databases and the console schemas `hms db migrate` made with them."""
    with session(info, database=None) as conn, conn.cursor() as cur:
        for name in names:
            for each in (name, console_schema(name)):
                cur.execute(f"DROP DATABASE IF EXISTS `{each}`")


# --- the machine ---------------------------------------------------------------------------------

def machine(info: ConnectionInfo) -> dict:
    """Cores, memory, CPU, load average, server version and the server settings that shape the figures."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    facts = {"cores": os.cpu_count(), "memory_gib": round(memory / 2**30, 1), "cpu": _cpu_model(),
             "python": platform.python_version(), "platform": platform.platform(),
             "load_average": os.getloadavg()}
    with session(info, database=None) as conn, conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        facts["server"] = cur.fetchone()[0]
        cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ("
                    + ", ".join(["%s"] * len(SERVER_SETTINGS)) + ")", SERVER_SETTINGS)
        facts["settings"] = {k: v for k, v in cur.fetchall()}
    return facts


def describe(facts: dict) -> str:
    """The machine in one phrase: cores, memory, server, load average."""
    return (f"{facts['cores']} cores, {facts['memory_gib']} GiB, {facts['server']}, "
            f"load average {facts['load_average'][0]:.1f}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# --- timing --------------------------------------------------------------------------------------

def clock() -> float:
    return time.perf_counter()


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def percentile(sorted_samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of already sorted samples."""
    if not sorted_samples:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_samples)))
    return sorted_samples[rank - 1]


# --- the side-by-side table and the results ------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of a side-by-side table: title, width, how its values are written."""

    title: str
    width: int = 0
    fmt: str = ""        # format spec of a value, e.g. ",.0f"; none: str(value)
    suffix: str = ""     # written after the value, e.g. "x" after a ratio
    left: bool = False
    gap: int = 1         # spaces before the column (none before the first)

    def cell(self, text: str) -> str:
        return text.ljust(self.width) if self.left else text.rjust(self.width)

    def value(self, value) -> str:
        if value is None:
            return self.cell("-")
        return self.cell((format(value, self.fmt) if self.fmt else str(value)) + self.suffix)


def table(columns: list[Column], rows: list) -> None:
    """Print ours, the baselines and the limit side by side, with their ratios.

    A row is a sequence of values, one a column (None is written "-"), or a str printed
    as it is (a note under the rows above it).
    """
    def line(cells: list[str]) -> str:
        return "".join((" " * c.gap if i else "") + text for i, (c, text) in enumerate(zip(columns, cells))).rstrip()

    header = line([c.cell(c.title) for c in columns])
    print(header)
    print("-" * len(header))
    for row in rows:
        print(row if isinstance(row, str) else line([c.value(v) for c, v in zip(columns, row)]))


def stamp() -> str:
    """The local time, as in the names of the results files."""
    return datetime.now().strftime("%Y%m%dT%H%M%S")


def write_results(name: str, record: dict, facts: dict, tag: str | None = None) -> Path:
    """Write `record` and the machine `facts` as benchmarks/results/<name>-<tag>.json; say where.

    The tag is scale<S>-<local time> unless given. `facts` go under "machine", with
    the load average now as "load_average_after".
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    tag = tag or f"scale{record['scale']:g}-{stamp()}"
    path = RESULTS_DIR / f"{name}-{tag}.json"
    record = {**record, "machine": {**facts, "load_average_after": os.getloadavg()}}
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(f"results written to {path.relative_to(ROOT)}")
    return path
