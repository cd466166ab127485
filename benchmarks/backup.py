"""Backup and restore, side by side: hms backup vs plain mysqldump | mysql vs mydumper/myloader.

    python benchmarks/backup.py [--scale 0.1] [--runs 1] [--threads 2]

    hms --database hms_bench_backup seed --scale 0.1
    python benchmarks/backup.py --seeded [--database hms_bench_backup] --runs 3

All three tools back up the same database and restore it into a new one, in one run
on one machine. With --seeded the database is used as `hms seed` left it (it must
hold rows; it is never dropped or filled). Without it, the database is filled at the
contract's row counts for --scale with plain INSERT ... SELECT (deterministic
synthetic values), and reused by later runs. Throughput is reported against the same yardstick for every tool:
MB of plain SQL (the size of mysqldump's output) and rows, per second.

Prints a table and writes benchmarks/results/backup-<UTC time>.json.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import harness  # first: puts this checkout's code on sys.path
from backup_data import ensure_database, seeded_counts
from harness import Column, clock, drop_database, session
from hms import dialect as dialects
from hms.backup import create_backup, restore_backup
from hms.optionfiles import defaults_file


def timed(command: list[str], stdin=None, stdout=None) -> float:
    started = clock()
    subprocess.run(command, stdin=stdin, stdout=stdout, check=True)
    return clock() - started


def create_empty(info, name: str, dialect) -> None:
    drop_database(info, name)
    with session(info, database=None) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {dialect.default_collation}")


def run_once(info, dialect, work: Path, threads: int) -> dict[str, dict[str, float]]:
    """Back up and restore once with each tool; return {tool: {"backup": s, "restore": s, "bytes": n}}."""
    db = info.database
    out: dict[str, dict[str, float]] = {}
    dump_bin, client = dialect.dump_binary(), dialect.client_binary()
    with defaults_file(info) as cnf:
        login = f"--defaults-extra-file={cnf}"
        # Plain mysqldump > file, then mysql < file: the baseline the target is measured against.
        plain = work / "plain.sql"
        dump_cmd = [dump_bin, login, "--single-transaction", "--routines", "--events", "--triggers",
                     "--hex-blob", "--no-tablespaces", "--quick", db]
        with open(plain, "wb") as sink:
            backup_s = timed(dump_cmd, stdout=sink)
        create_empty(info, "hms_bench_plain", dialect)
        with open(plain, "rb") as source:
            restore_s = timed([client, login, "--database=hms_bench_plain"], stdin=source)
        out["mysqldump | mysql"] = {"backup": backup_s, "restore": restore_s, "bytes": plain.stat().st_size}
        drop_database(info, "hms_bench_plain")

        # Plain mysqldump | gzip: what compression alone costs.
        gz = work / "plain.sql.gz"
        started = clock()
        with open(gz, "wb") as sink:
            dump = subprocess.Popen(dump_cmd, stdout=subprocess.PIPE)
            subprocess.run(["gzip", "-1"], stdin=dump.stdout, stdout=sink, check=True)
            dump.stdout.close()
            dump.wait()
        out["mysqldump | gzip -1"] = {"backup": clock() - started, "restore": None,
                                      "bytes": gz.stat().st_size}
        gz.unlink()

        # mydumper / myloader, the parallel peer.
        if shutil.which("mydumper") and shutil.which("myloader"):
            dump_dir = work / "mydumper"
            backup_s = timed(["mydumper", f"--defaults-file={cnf}", "--database", db, "--outputdir", str(dump_dir),
                              "--threads", str(threads), "--routines", "--events", "--triggers",
                              "--compress", "--trx-consistency-only"], stdout=subprocess.DEVNULL)
            size = sum(p.stat().st_size for p in dump_dir.iterdir())
            drop_database(info, "hms_bench_myloader")
            restore_s = timed(["myloader", f"--defaults-file={cnf}", "--directory", str(dump_dir), "--database", "hms_bench_myloader",
                               "--threads", str(threads), "--overwrite-tables"], stdout=subprocess.DEVNULL)
            out["mydumper / myloader"] = {"backup": backup_s, "restore": restore_s, "bytes": size}
            shutil.rmtree(dump_dir)
            drop_database(info, "hms_bench_myloader")

    # Ours: consistent snapshot + counts/checksums + definer stripping + gzip + fsync + manifest.
    started = clock()
    made = create_backup(info, work / "ours")
    backup_s = clock() - started
    drop_database(info, "hms_bench_ours")
    started = clock()
    restore_backup(info, made.path, "hms_bench_ours")
    out["hms backup"] = {"backup": backup_s, "restore": clock() - started, "bytes": made.manifest.bytes}
    drop_database(info, "hms_bench_ours")
    plain.unlink()
    return out


# Side by side with no space between columns: every width holds its own gap.
BACKUP_COLUMNS = [Column("tool", 22, left=True, gap=0)] + [
    Column(title, width, fmt, "x" if title == "vs plain" else "", gap=0) for title, width, fmt in (
        ("backup s", 9, ".1f"), ("MB/s", 8, ".1f"), ("rows/s", 11, ",.0f"), ("vs plain", 9, ".2f"),
        ("restore s", 10, ".1f"), ("MB/s", 8, ".1f"), ("rows/s", 11, ",.0f"), ("file MB", 9, ".1f"))]


def per_second(amount: float, seconds: float | None) -> float | None:
    return amount / seconds if seconds else None


def main() -> None:
    parser = harness.arguments(__doc__, scale=0.1, database="hms_bench_backup")
    parser.add_argument("--runs", type=int, default=1, help="repeat and keep the best time of each")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="mydumper/myloader threads")
    parser.add_argument("--seeded", action="store_true",
                        help="use the database as `hms seed` filled it (never dropped or refilled)")
    args = parser.parse_args()
    info = harness.login(args.database)
    facts = harness.machine(info)
    counts = seeded_counts(info) if args.seeded else ensure_database(info, args.scale)
    rows = sum(counts.values())
    with session(info) as conn:
        dialect = dialects.for_connection(conn)
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="hms-bench-backup-") as tmp:
        for _ in range(args.runs):
            for tool, figures in run_once(info, dialect, Path(tmp), args.threads).items():
                kept = best.setdefault(tool, dict(figures))
                for key in ("backup", "restore"):
                    if figures[key] is not None and figures[key] < kept[key]:
                        kept[key] = figures[key]
    sql_mb = best["mysqldump | mysql"]["bytes"] / 1e6
    base = best["mysqldump | mysql"]["backup"]
    data = "hms seed" if args.seeded else "INSERT ... SELECT"
    print(f"\nscale {args.scale} ({data}): {rows:,} rows, {sql_mb:,.0f} MB of SQL; {facts['server']}; "
          f"{facts['cores']} cores; best of {args.runs}")
    harness.table(BACKUP_COLUMNS, [
        [tool, f["backup"], sql_mb / f["backup"], rows / f["backup"], f["backup"] / base, f["restore"],
         per_second(sql_mb, f["restore"]), per_second(rows, f["restore"]), f["bytes"] / 1e6]
        for tool, f in best.items()])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    record = {"benchmark": "backup", "scale": args.scale, "rows": rows, "sql_bytes": int(sql_mb * 1e6),
              "server": facts["server"], "cores": facts["cores"], "runs": args.runs, "data": data,
              "load_average_before": facts["load_average"], "load_average_after": os.getloadavg(),
              "threads": args.threads, "tools": best, "created_at": stamp}
    print()
    harness.write_results("backup", record, facts, tag=stamp)


if __name__ == "__main__":
    main()
