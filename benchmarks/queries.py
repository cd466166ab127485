"""The indexing study of mission.md section 7, redone on one loaded database in one run.

For each of the three queries of the original study: the median time without the
study's indexes, with the original index, and with our best design, each with the
full result streamed to a client and discarded, with the EXPLAIN plan of each; and
the physical limit: the same number of rows of the same width streamed from a plain
full scan of one table.

Two clients stream the results: the C client (mariadb/mysql --quick, output counted
and thrown away), which keeps the server the bottleneck, and PyMySQL's unbuffered
SSCursor (what `hms query` uses), whose per-row decoding in Python is usually the
bottleneck instead. Without index / original index are timed with the C client.

    python benchmarks/queries.py --scale 0.01
    python benchmarks/queries.py --scale 1.0 --runs 3      # 32M rows; about half an hour
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

import harness  # first: puts this checkout's code on sys.path
import pymysql
import pymysql.cursors
from harness import ROOT, Column, ConnectionInfo, clock, connect, median, session
from hms import dialect as dialects
from hms.migrations import split_statements
from hms.optionfiles import defaults_file
from query_studies import STUDIES, STUDY_INDEXES, Study
from query_studies import DISCOUNT_BEST, DISCOUNT_ORIGINAL  # noqa: F401  (tests/test_queries.py reads them here)

@dataclass
class Timing:
    """Median seconds of several streamed runs, with rows and bytes of the last."""

    samples: list[float] = field(default_factory=list)
    rows: int = 0
    bytes: int = 0

    @property
    def median(self) -> float:
        return median(self.samples)


class Streamer:
    """Streams a statement's whole result to a client and discards it, timing the run."""

    def __init__(self, info: ConnectionInfo, client_binary: str):
        self.info = info
        self.client = client_binary

    def with_cli(self, sql: str, runs: int) -> Timing:
        timing = Timing()
        with defaults_file(self.info) as options:
            command = [self.client, f"--defaults-extra-file={options}", "--quick", "--batch", "--raw",
                       "--skip-column-names", self.info.database, "-e", sql]
            for _ in range(runs):
                started = clock()
                rows = size = 0
                with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
                    while chunk := proc.stdout.read(1 << 20):
                        rows += chunk.count(b"\n")
                        size += len(chunk)
                    error = proc.stderr.read().decode(errors="replace").strip()
                if proc.returncode != 0:
                    raise SystemExit(f"Error: the client failed on a study query: {error}")
                timing.samples.append(clock() - started)
                timing.rows, timing.bytes = rows, size
        return timing

    def with_pymysql(self, sql: str, runs: int) -> Timing:
        timing = Timing()
        for _ in range(runs):
            conn = connect(self.info, cursorclass=pymysql.cursors.SSCursor, read_timeout=3600)
            try:
                started = clock()
                rows = 0
                with conn.cursor() as cur:
                    cur.execute(sql)
                    while batch := cur.fetchmany(10_000):
                        rows += len(batch)
                timing.samples.append(clock() - started)
                timing.rows = rows
            finally:
                conn.close()
        return timing


def explain(info: ConnectionInfo, sql: str) -> list[dict]:
    """The EXPLAIN rows of `sql`: table, access type, key, estimated rows, extra."""
    with session(info, cursorclass=pymysql.cursors.DictCursor) as conn, conn.cursor() as cur:
        cur.execute("EXPLAIN " + sql)
        return [{k: row.get(k) for k in ("table", "type", "key", "rows", "Extra")} for row in cur.fetchall()]


def plan_text(plan: list[dict]) -> str:
    return " -> ".join(f"{p['table']}:{p['type']}({p['key'] or '-'}){' [' + p['Extra'] + ']' if p['Extra'] else ''}"
                       for p in plan)


def set_indexes(info: ConnectionInfo, wanted: set[str]) -> None:
    """Make exactly the study indexes in `wanted` (by version) exist; leave every other index alone."""
    with session(info, read_timeout=7200) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS "
                    "WHERE TABLE_SCHEMA = DATABASE()")
        present = set(cur.fetchall())
        for version, index in STUDY_INDEXES.items():
            exists = (index.table, index.name) in present
            if version in wanted and not exists:
                cur.execute(index.create_sql())
            elif version not in wanted and exists:
                cur.execute(f"DROP INDEX `{index.name}` ON `{index.table}`")
        cur.execute("ANALYZE TABLE appointment, billing, patient")
        cur.fetchall()


def limit_sql(study: Study, rows: int, width: float, columns: int) -> str:
    """A plain scan of one table giving `rows` rows of about `width` bytes in `columns` columns.

    ORDER BY the primary key makes it a scan of the table itself (its clustered index),
    not of some narrow secondary index the optimizer would otherwise prefer.
    """
    # Each row in the client's output is the key, then filler columns, tab-separated.
    filler = max(0, int(round(width)) - 1 - 8 - (columns - 1))
    per = [filler // max(1, columns - 1)] * (columns - 1)
    exprs = [f"`{study.limit_key}`"] + [f"REPEAT('x', {n})" for n in per]
    return (f"SELECT {', '.join(exprs)} FROM `{study.limit_table}` "
            f"ORDER BY `{study.limit_key}` LIMIT {int(rows)}")


def run_study(info: ConnectionInfo, streamer: Streamer, study: Study, runs: int, use_pymysql: bool) -> dict:
    result = {"query": study.key, "title": study.title, "best_design": study.best_design,
              "original_figures": {"without": study.original_figures[0], "with": study.original_figures[1]}}
    states = [("no index", set(), study.original_sql),
              ("original index", {study.original_index}, study.original_sql),
              ("best design", set(STUDY_INDEXES), study.best_sql)]

    def measure(label: str, sql: str, pymysql_too: bool) -> None:
        print(f"  {study.key}: {label} ...", flush=True)
        timing = streamer.with_cli(sql, runs)
        result[label] = {"seconds": timing.samples, "median": timing.median, "rows": timing.rows,
                         "bytes": timing.bytes, "plan": explain(info, sql), "sql": sql.strip()}
        if pymysql_too and use_pymysql:
            result[label]["pymysql"] = streamer.with_pymysql(sql, runs).samples

    for label, indexes, sql in states:
        set_indexes(info, indexes)
        measure(label, sql, label == "best design")
    best = result["best design"]
    measure("physical limit", limit_sql(study, best["rows"], best["bytes"] / max(1, best["rows"]),
                                        _column_count(info, study.best_sql)), True)
    return result


def _column_count(info: ConnectionInfo, sql: str) -> int:
    with session(info) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT * FROM ({sql}) AS q LIMIT 0")
        return len(cur.description)


SUMMARY_TRIGGERS = ("trg_billing_summary_insert", "trg_billing_summary_update", "trg_billing_summary_delete")


def bill_write_cost(info: ConnectionInfo, bills: int) -> dict:
    """Seconds to insert then delete `bills` single-row bills, with and without the summary triggers.

    What patient_billing_summary costs writers. The triggers are re-created from their
    own files afterwards, whatever happens.
    """
    conn = connect(info)
    timings = {}
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT MIN(patient_id), MAX(patient_id) FROM patient")
            low, high = cur.fetchone()
            patients = [low + (i * 7919) % (high - low + 1) for i in range(bills)]
            try:
                for label in ("with triggers", "without triggers"):
                    if label == "without triggers":
                        for name in SUMMARY_TRIGGERS:
                            cur.execute(f"DROP TRIGGER IF EXISTS `{name}`")
                    ids = []
                    started = clock()
                    for patient in patients:
                        cur.execute("INSERT INTO billing (patient_id, total_amount, bill_date, due_date) "
                                    "VALUES (%s, 12.34, CURDATE(), CURDATE())", (patient,))
                        ids.append(cur.lastrowid)
                    inserted = clock() - started
                    started = clock()
                    for bill in ids:
                        cur.execute("DELETE FROM billing WHERE bill_id = %s", (bill,))
                    timings[label] = {"insert_seconds": inserted, "delete_seconds": clock() - started,
                                      "bills": bills}
            finally:
                for name in SUMMARY_TRIGGERS:
                    text = (ROOT / "sql" / "triggers" / f"{name}.sql").read_text()
                    for statement in split_statements(text, name):
                        cur.execute(statement.sql)
    finally:
        conn.close()
    return timings


def fmt(seconds: float) -> str:
    if seconds >= 60:
        return f"{int(seconds // 60)} min {seconds % 60:.1f} s"
    return f"{seconds:.2f} s"


STATES = ("no index", "original index", "best design", "physical limit")
STUDY_COLUMNS = [Column("query", 17, left=True), Column("state", 15, left=True),
                 Column("median (C client)", 18), Column("PyMySQL", 10), Column("rows", 10, ","),
                 Column("vs no index", 11, ".1f", "x", gap=2), Column("vs limit", 8, ".2f", "x")]


def report(results: list[dict]) -> None:
    print()
    rows = []
    for r in results:
        base, limit = r["no index"]["median"], r["physical limit"]["median"]
        for label in STATES:
            s = r[label]
            rows.append([r["query"], label, fmt(s["median"]), fmt(median(s["pymysql"])) if s.get("pymysql") else "",
                         s["rows"], base / s["median"], s["median"] / limit])
        rows.append(f"{'':<17} original study: without {r['original_figures']['without']}, "
                    f"with {r['original_figures']['with']}")
        rows += [f"{'':<17} plan, {label}: {plan_text(r[label]['plan'])}" for label in STATES]
        rows.append("")
    harness.table(STUDY_COLUMNS, rows)


def main() -> None:
    parser = harness.arguments(__doc__)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per state; the median is reported")
    parser.add_argument("--no-pymysql", action="store_true", help="time the C client only")
    parser.add_argument("--only", choices=[s.key for s in STUDIES] + ["none"], action="append",
                        help="run only this study query (repeatable; none: only the write cost)")
    parser.add_argument("--write-cost", type=int, default=2000, metavar="N",
                        help="also time N single-row bill inserts and deletes with and without the "
                             "summary triggers (0: skip)")
    args = parser.parse_args()
    info = harness.loaded_database(args.scale, args.database)
    with session(info) as conn:
        client = dialects.for_connection(conn).client_binary()
    if client is None:
        raise SystemExit("Error: no mariadb or mysql client was found. Install the server's client package.")
    facts = harness.machine(info)
    print(f"indexing study on '{info.database}' at scale {args.scale:g}: {harness.describe(facts)}")
    streamer = Streamer(info, client)
    results = []
    try:
        for study in STUDIES:
            if args.only and study.key not in args.only:
                continue
            results.append(run_study(info, streamer, study, args.runs, not args.no_pymysql))
    finally:
        set_indexes(info, set(STUDY_INDEXES))      # leave the database as `hms db migrate` made it
    write_cost = bill_write_cost(info, args.write_cost) if args.write_cost else None
    report(results)
    if write_cost:
        for label, t in write_cost.items():
            print(f"bill writes {label}: {t['bills']:,} inserts {t['insert_seconds'] / t['bills'] * 1000:.3f} ms each, "
                  f"{t['bills']:,} deletes {t['delete_seconds'] / t['bills'] * 1000:.3f} ms each")
    harness.write_results("queries", {"scale": args.scale, "runs": args.runs, "database": info.database,
                                      "results": results, "bill_write_cost": write_cost}, facts)


if __name__ == "__main__":
    main()
