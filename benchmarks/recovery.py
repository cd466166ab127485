"""Recovery: backup and restore times, point-in-time roll-forward, and what a backup costs the workload.

    hms seed --scale 1.0                         # the dataset, in the database `hms`
    python benchmarks/recovery.py --scale 1.0 --database hms [--parts logical,physical,rollforward,impact]

Side by side, on the same data and server, in one run:

- logical: `hms backup create` / `hms backup restore --into`, plain `mariadb-dump | gzip` and
  `gunzip | mariadb`, mydumper / myloader;
- physical: `hms backup create --physical` / `hms backup restore --home`, bare `mariadb-backup
  --backup`, `--prepare`, `--copy-back`, and the physical limit: `cp -a` of the stopped data
  directory (and of the prepared backup, which needs no stop);
- roll-forward: after a physical backup, the booking + record workload of `oltp.py` runs for
  --oltp-seconds; then `hms backup restore --home --until` against the same restore without
  --until (the difference is hms's roll-forward), and bare `mariadb-binlog | mariadb` of the same
  binary logs into a server started on a bare `--copy-back` of the same backup;
- impact: booking p99 of `oltp.py` with no backup running, and while `hms backup create
  --physical` runs (each window as long as a physical backup takes alone, measured first);
- restore-rounds (not in the default set): `cp -a` of a prepared backup and `hms backup restore
  --home` alternated --rounds times, with --other CHECKOUT's restore --home of the same backup
  (the code before a change) in each round: medians, for a machine shared with other work.

RTO per path = restore (+ roll-forward); the first start of a restored home is shown apart.
The server is the one of HMS_HOME (the physical-limit step stops and restarts it). Prints a
table and writes benchmarks/results/recovery-<tag>.json.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import harness  # first: puts this checkout's code on sys.path
from harness import Column, clock, drop_database, session
from hms import dialect as dialects
from hms.config import Settings
from hms.connection import ConnectionInfo
from hms.optionfiles import defaults_file
from hms.server.embedded import EmbeddedServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oltp  # noqa: E402  (the booking workload)

PARTS = ("logical", "physical", "rollforward", "impact", "restore-rounds")
CLI = [sys.executable, str(harness.ROOT / "cli.py")]
SCRATCH_POOL = "1G"


def hms(*args: str, env: dict | None = None, parse_json: bool = False, cli: list[str] | None = None):
    """Run this checkout's `hms` (or `cli`); return (seconds, parsed JSON or stdout). Exit on failure with its last line."""
    started = clock()
    done = subprocess.run([*(cli or CLI), *args], capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = clock() - started
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        harness.fail(f"`hms {' '.join(args)}` failed: {last[0]}", "Fix what it reports and run again")
    return seconds, (json.loads(done.stdout) if parse_json else done.stdout)


def timed(command: list[str], **kwargs) -> float:
    started = clock()
    subprocess.run(command, check=True, **kwargs)
    return clock() - started


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() \
        else Path(path).stat().st_size


def chown_tree(path: Path, user: str = dialects.SERVER_SYSTEM_USER) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", f"{user}:{user}", str(path)], check=True)


# --- logical ------------------------------------------------------------------------------------

def logical(info: ConnectionInfo, dialect, work: Path, backups: Path, threads: int) -> dict:
    db = info.database
    out = {}
    env = {"HMS_BACKUP_DIR": str(backups)}
    seconds, made = hms("--database", db, "backup", "create", "--json", env=env, parse_json=True)
    drop_database(info, "hms_rec_ours")
    restore_s, _ = hms("--database", db, "backup", "restore", made["path"], "--into", "hms_rec_ours", env=env)
    out["hms backup (logical)"] = {"backup": seconds, "restore": restore_s, "bytes": made["bytes"]}
    drop_database(info, "hms_rec_ours")
    Path(made["path"]).unlink()

    dump_bin, client = dialect.dump_binary(), dialect.client_binary()
    with defaults_file(info) as cnf:
        login = f"--defaults-extra-file={cnf}"
        gz = work / "plain.sql.gz"
        started = clock()
        with open(gz, "wb") as sink:
            dump = subprocess.Popen([dump_bin, login, *dialects.dump_options(dialect), db], stdout=subprocess.PIPE)
            subprocess.run(["gzip", "-1"], stdin=dump.stdout, stdout=sink, check=True)
            dump.stdout.close()
            if dump.wait() != 0:
                harness.fail("mariadb-dump failed", "See its message above")
        backup_s = clock() - started
        with session(info, database=None) as conn, conn.cursor() as cur:
            drop_database(info, "hms_rec_plain")
            cur.execute(f"CREATE DATABASE hms_rec_plain CHARACTER SET utf8mb4 COLLATE {dialect.default_collation}")
        started = clock()
        unzip = subprocess.Popen(["gzip", "-dc", str(gz)], stdout=subprocess.PIPE)
        subprocess.run([client, login, "--database=hms_rec_plain"], stdin=unzip.stdout, check=True)
        unzip.stdout.close()
        unzip.wait()
        out["mariadb-dump | gzip, gunzip | mariadb"] = {"backup": backup_s, "restore": clock() - started,
                                                        "bytes": gz.stat().st_size}
        drop_database(info, "hms_rec_plain")
        gz.unlink()

        if shutil.which("mydumper") and shutil.which("myloader"):
            dump_dir = work / "mydumper"
            backup_s = timed(["mydumper", f"--defaults-file={cnf}", "--database", db, "--outputdir", str(dump_dir),
                              "--threads", str(threads), "--routines", "--events", "--triggers", "--compress",
                              "--trx-consistency-only"], stdout=subprocess.DEVNULL)
            size = du(dump_dir)
            drop_database(info, "hms_rec_myloader")
            restore_s = timed(["myloader", f"--defaults-file={cnf}", "--directory", str(dump_dir), "--database",
                               "hms_rec_myloader", "--threads", str(threads), "--overwrite-tables"],
                              stdout=subprocess.DEVNULL)
            out["mydumper / myloader"] = {"backup": backup_s, "restore": restore_s, "bytes": size}
            shutil.rmtree(dump_dir)
            drop_database(info, "hms_rec_myloader")
    return out


# --- physical -----------------------------------------------------------------------------------

def bare_backup(info: ConnectionInfo, datadir: Path, target: Path) -> dict:
    """mariadb-backup --backup, then --prepare, of the running server; seconds of each."""
    with defaults_file(info) as cnf:
        backup_s = timed(["mariadb-backup", f"--defaults-extra-file={cnf}", "--backup", f"--datadir={datadir}",
                          f"--target-dir={target}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prepare_s = timed(["mariadb-backup", "--no-defaults", "--prepare", f"--target-dir={target}"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"backup": backup_s, "prepare": prepare_s, "bytes": du(target)}


def copy_back(prepared: Path, datadir: Path) -> float:
    seconds = timed(["mariadb-backup", "--no-defaults", "--copy-back", f"--target-dir={prepared}",
                     f"--datadir={datadir}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chown_tree(datadir)
    return seconds


def physical(info: ConnectionInfo, server: EmbeddedServer, work: Path, backups: Path) -> tuple[dict, dict]:
    db = info.database
    env = {"HMS_BACKUP_DIR": str(backups)}
    out = {}
    seconds, made = hms("--database", db, "backup", "create", "--physical", "--json", env=env, parse_json=True)
    home = work / "home-ours"
    restore_s, _ = hms("backup", "restore", made["path"], "--home", str(home), env=env)
    start_s, _ = hms("server", "start", env={"HMS_HOME": str(home)})
    hms("server", "stop", env={"HMS_HOME": str(home)})
    out["hms backup --physical / restore --home"] = {"backup": seconds, "restore": restore_s,
                                                      "start": start_s, "bytes": made["bytes"]}
    shutil.rmtree(home)

    prepared = work / "bare-backup"
    bare = bare_backup(info, server.datadir, prepared)
    target = work / "bare-datadir"
    target.mkdir()
    copy_s = copy_back(prepared, target)
    out["mariadb-backup --backup/--prepare/--copy-back"] = {
        "backup": bare["backup"], "prepare": bare["prepare"], "restore": bare["prepare"] + copy_s,
        "copy_back": copy_s, "bytes": bare["bytes"]}
    shutil.rmtree(target)

    copy = work / "raw-copy"
    out["cp -a of the prepared backup"] = {"restore": timed(["cp", "-a", str(prepared), str(copy)]),
                                           "bytes": bare["bytes"]}
    shutil.rmtree(copy)
    server.stop()
    try:
        limit = timed(["cp", "-a", str(server.datadir), str(copy)])
    finally:
        server.start()
    out["cp -a of the stopped data directory (limit)"] = {"restore": limit, "bytes": du(copy)}
    shutil.rmtree(copy)
    return out, {"prepared": prepared, "backup": made}


def restore_rounds(info: ConnectionInfo, server: EmbeddedServer, work: Path, backups: Path, rounds: int,
                   other: Path | None) -> dict:
    """`cp -a` of a prepared backup and `hms backup restore --home` of one physical backup, alternated
    `rounds` times (and `other` checkout's restore --home of the same backup, e.g. the code before a
    change): on a shared machine the medians of alternated runs say more than one run each."""
    env = {"HMS_BACKUP_DIR": str(backups)}
    _, made = hms("--database", info.database, "backup", "create", "--physical", "--json", env=env, parse_json=True)
    prepared = work / "bare-backup"
    bare_backup(info, server.datadir, prepared)
    other_cli = [sys.executable, str(Path(other).resolve() / "cli.py")] if other else None
    runs = []
    for _ in range(rounds):
        run = {"load_before": os.getloadavg()[0]}
        run["cp -a"] = timed(["cp", "-a", str(prepared), str(work / "raw-copy")])
        shutil.rmtree(work / "raw-copy")
        for name, cli in (("hms", None), ("other", other_cli)):
            if name == "other" and cli is None:
                continue
            home = work / f"home-{name}"
            run[name], _ = hms("backup", "restore", made["path"], "--home", str(home), env=env, cli=cli)
            shutil.rmtree(home)
        run["load_after"] = os.getloadavg()[0]
        runs.append(run)
    shutil.rmtree(prepared)
    shutil.rmtree(made["path"])

    def median(key: str) -> float | None:
        values = sorted(r[key] for r in runs if key in r)
        return values[len(values) // 2] if values else None

    return {"runs": runs, "median": {k: median(k) for k in ("cp -a", "hms", "other")},
            "median_ratio": {k: median_ratio(runs, k) for k in ("hms", "other")}, "other": str(other or "")}


def median_ratio(runs: list[dict], key: str) -> float | None:
    ratios = sorted(r[key] / r["cp -a"] for r in runs if key in r)
    return ratios[len(ratios) // 2] if ratios else None


# --- roll-forward -------------------------------------------------------------------------------

def booking_workload(info: ConnectionInfo, seconds: float, clients: int) -> dict:
    inputs = oltp.sample_inputs(info, random.Random(7))
    results = {}
    for name in ("booking", "patient record"):
        results[name] = oltp.run_phase(info, name, inputs, clients, seconds / 2)
    return results


def gtid_seq(gtid: str) -> int:
    """The highest sequence number in a MariaDB GTID position (one domain in an hms server)."""
    return max((int(part.split("-")[2]) for part in gtid.split(",") if part.count("-") == 2), default=0)


def scratch_server(datadir: Path, work: Path, port: int) -> tuple[subprocess.Popen, Path]:
    """Start a bare mariadbd on `datadir` (no binary log) as the unprivileged user; return it and its socket."""
    cnf = work / "bare.cnf"
    run = work / "bare-run"  # socket, pid file and error log: written by the server's account
    run.mkdir(exist_ok=True)
    chown_tree(run)
    sock = run / "bare.sock"
    cnf.write_text(f"[mysqld]\ndatadir={datadir}\nsocket={sock}\nport={port}\nbind-address=127.0.0.1\n"
                   f"innodb_buffer_pool_size={SCRATCH_POOL}\nskip-log-bin\nlog-error={run / 'bare.err'}\n"
                   f"pid-file={run / 'bare.pid'}\ninnodb_flush_log_at_trx_commit=2\n")
    os.chmod(work, 0o755)
    user = dialects.SERVER_SYSTEM_USER if os.geteuid() == 0 else None
    found = dialects.find_server_binary()
    proc = subprocess.Popen([str(found[0]), f"--defaults-file={cnf}", *([f"--user={user}"] if user else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not sock.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            log = (run / "bare.err").read_text(errors="replace")[-500:] if (run / "bare.err").exists() else "no log"
            harness.fail(f"the bare scratch server did not start: {log}", "Fix the cause and run again")
        time.sleep(0.2)
    time.sleep(1)
    return proc, sock


def rollforward(info: ConnectionInfo, server: EmbeddedServer, work: Path, backups: Path, prepared: Path,
                made: dict, seconds: float, clients: int) -> dict:
    env = {"HMS_BACKUP_DIR": str(backups)}
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@gtid_binlog_pos")
        gtid_before = cur.fetchone()[0]
    # The backup `prepared` (bare) and `made` (ours) were both taken before the workload: the
    # bare copy-back starts from the bare backup's own binlog position.
    workload = booking_workload(info, seconds, clients)
    time.sleep(1.1)
    until = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    time.sleep(1.1)
    with session(info) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@gtid_binlog_pos")
        gtid_after = cur.fetchone()[0]
        cur.execute("FLUSH BINARY LOGS")
    for phase in workload.values():
        oltp.delete_booked(info, phase["booked"])
    transactions_ours = gtid_seq(gtid_after) - gtid_seq(made["binlog"]["gtid"])

    home = work / "home-pitr"
    plain_s, _ = hms("backup", "restore", made["path"], "--home", str(home), env=env)
    shutil.rmtree(home)
    total_s, _ = hms("backup", "restore", made["path"], "--home", str(home), "--until", until, env=env)
    start_s, _ = hms("server", "start", env={"HMS_HOME": str(home)})
    hms("server", "stop", env={"HMS_HOME": str(home)})
    shutil.rmtree(home)
    ours = {"restore": plain_s, "restore_until": total_s, "rollforward": max(total_s - plain_s, 1e-9),
            "transactions": transactions_ours, "start": start_s}

    # Bare: copy-back the bare backup, start it, pipe the same binary logs through mariadb-binlog.
    info_file = next((prepared / name for name in ("mariadb_backup_binlog_info", "xtrabackup_binlog_info")
                      if (prepared / name).is_file()), None)
    file, position, gtid = (info_file.read_text().split() + ["", "", ""])[:3]
    files = sorted(p for p in server.binlog_dir.glob("hms-bin.[0-9]*") if p.name >= file)
    datadir = work / "bare-pitr"
    datadir.mkdir()
    copy_s = copy_back(prepared, datadir)
    port = harness_free_port()
    proc, sock = scratch_server(datadir, work, port)
    try:
        scratch = ConnectionInfo(user=info.user, password=info.password, unix_socket=str(sock))
        with defaults_file(scratch) as cnf:
            started = clock()
            reader = subprocess.Popen(["mariadb-binlog", f"--start-position={position}", f"--stop-datetime={until}",
                                       *map(str, files)], stdout=subprocess.PIPE)
            subprocess.run([dialects.MARIADB.client_binary(), f"--defaults-extra-file={cnf}"],
                           stdin=reader.stdout, check=True)
            reader.stdout.close()
            reader.wait()
            bare_s = clock() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
    shutil.rmtree(datadir)
    bare = {"restore": copy_s, "rollforward": bare_s, "transactions": gtid_seq(gtid_after) - gtid_seq(gtid),
            "binlog_bytes": sum(p.stat().st_size for p in files)}
    return {"ours": ours, "bare": bare, "workload": {k: {x: v[x] for x in ("ops", "p99_ms", "throughput")}
                                                     for k, v in workload.items()},
            "gtid_before": gtid_before, "gtid_after": gtid_after, "until": until}


def harness_free_port() -> int:
    from hms.server.config import free_port
    return free_port(prefer_low=False)


# --- impact -------------------------------------------------------------------------------------

def impact(info: ConnectionInfo, backups: Path, seconds: float | None, clients: int) -> dict:
    """Booking p99 for `seconds` with no backup, then for `seconds` from 1 s after a physical backup starts.

    `seconds` None: the time a physical backup takes alone, measured first with a backup of
    its own (then deleted), so the window covers every stage of the backup, not only
    mariadb-backup's copy, and no quiet time after it.
    """
    alone = None
    if seconds is None:
        alone, made = hms("--database", info.database, "backup", "create", "--physical", "--json",
                          env={"HMS_BACKUP_DIR": str(backups)}, parse_json=True)
        shutil.rmtree(made["path"])
        seconds = max(10.0, alone - 1.0)
    inputs = oltp.sample_inputs(info, random.Random(11))
    quiet = oltp.run_phase(info, "booking", inputs, clients, seconds)
    oltp.delete_booked(info, quiet["booked"])
    result: dict = {}

    def backup() -> None:
        result["seconds"], result["made"] = hms("--database", info.database, "backup", "create", "--physical",
                                                "--json", env={"HMS_BACKUP_DIR": str(backups)}, parse_json=True)

    thread = threading.Thread(target=backup)
    thread.start()
    time.sleep(1.0)
    during = oltp.run_phase(info, "booking", inputs, clients, seconds)
    thread.join()
    oltp.delete_booked(info, during["booked"])
    return {"without": {k: quiet[k] for k in ("ops", "p50_ms", "p99_ms", "throughput")},
            "during": {k: during[k] for k in ("ops", "p50_ms", "p99_ms", "throughput")},
            "backup_seconds": result.get("seconds"), "backup_alone_seconds": alone, "window_seconds": seconds,
            "clients": clients}


# --- report -------------------------------------------------------------------------------------

COLUMNS = [Column("path", 46, left=True), Column("backup s", 9, ".1f"), Column("restore s", 10, ".1f"),
           Column("vs limit", 9, ".2f", "x"), Column("start s", 8, ".1f"), Column("MB", 9, ",.0f")]


def report(record: dict) -> None:
    if "logical" in record:
        print("\nlogical")
        base = record["logical"].get("mariadb-dump | gzip, gunzip | mariadb", {}).get("restore")
        harness.table(COLUMNS, [[k, v["backup"], v["restore"], v["restore"] / base if base else None, None,
                                 v["bytes"] / 1e6] for k, v in record["logical"].items()])
        print("vs limit: restore time against `gunzip | mariadb` of the plain dump (target for hms: <= 1.10x)")
    if "physical" in record:
        print("\nphysical")
        limit = record["physical"]["cp -a of the prepared backup"]["restore"]
        harness.table(COLUMNS, [[k, v.get("backup"), v["restore"], v["restore"] / limit, v.get("start"),
                                 v["bytes"] / 1e6] for k, v in record["physical"].items()])
        print("vs limit: restore time against `cp -a` of the prepared backup (target for hms: <= 1.5x)")
    if "rollforward" in record:
        r = record["rollforward"]
        o, b = r["ours"], r["bare"]
        print(f"\nroll-forward of {o['transactions']:,} transactions ({b['binlog_bytes'] / 1e6:,.0f} MB of binary log)")
        print(f"  hms restore --home --until: {o['restore_until']:.1f} s = restore {o['restore']:.1f} s + roll-forward "
              f"{o['rollforward']:.1f} s ({o['transactions'] / o['rollforward']:,.0f} transactions/s); first start "
              f"{o['start']:.1f} s")
        print(f"  bare mariadb-binlog | mariadb: {b['rollforward']:.1f} s ({b['transactions'] / b['rollforward']:,.0f} "
              f"transactions/s); ratio hms/bare {o['rollforward'] / b['rollforward']:.2f}x (target <= 1.2x)")
        print(f"  RTO (physical restore + roll-forward): hms {o['restore_until']:.1f} s (target < 60 s); "
              f"bare copy-back + replay {b['restore'] + b['rollforward']:.1f} s")
    if "restore-rounds" in record:
        r = record["restore-rounds"]
        print(f"\nrestore --home against cp -a of the prepared backup, {len(r['runs'])} alternated rounds")
        for n, run in enumerate(r["runs"], 1):
            other = f", other {run['other']:.1f} s ({run['other'] / run['cp -a']:.2f}x)" if "other" in run else ""
            print(f"  round {n}: cp -a {run['cp -a']:.1f} s, hms {run['hms']:.1f} s ({run['hms'] / run['cp -a']:.2f}x)"
                  f"{other}; load {run['load_before']:.1f}-{run['load_after']:.1f}")
        print(f"  median ratio: hms {r['median_ratio']['hms']:.2f}x (target <= 1.5x)"
              + (f", other ({r['other']}) {r['median_ratio']['other']:.2f}x" if r["median_ratio"]["other"] else ""))
    if "impact" in record:
        i = record["impact"]
        print(f"\nbooking p99 at {i['clients']} clients: {i['without']['p99_ms']:.2f} ms without a backup, "
              f"{i['during']['p99_ms']:.2f} ms during `hms backup create --physical` "
              f"({i['backup_seconds']:.1f} s; windows of {i.get('window_seconds', 20):.0f} s): "
              f"{i['during']['p99_ms'] / i['without']['p99_ms']:.2f}x (target <= 2x)")


def main() -> None:
    parser = harness.arguments(__doc__, scale=1.0, database="hms")
    parser.add_argument("--parts", default=",".join(PARTS[:4]), help=f"comma-separated subset of {','.join(PARTS)}")
    parser.add_argument("--oltp-seconds", type=float, default=180.0, help="seconds of workload to roll forward")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--impact-seconds", type=float, default=None,
                        help="booking window with and without a backup (default: as long as a physical backup "
                             "takes alone, measured first)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="mydumper/myloader threads")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds of the restore-rounds part")
    parser.add_argument("--other", default=None,
                        help="another checkout (e.g. the code before a change) whose restore --home the "
                             "restore-rounds part alternates with this one's")
    parser.add_argument("--work", default=None, help="scratch directory (default: a new one under /tmp)")
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    if unknown := set(parts) - set(PARTS):
        harness.fail(f"unknown part(s) {', '.join(sorted(unknown))}", f"Choose from {', '.join(PARTS)}")
    settings = Settings.from_env(database=args.database)
    info = harness.login(args.database)
    server = EmbeddedServer(settings.home)
    facts = harness.machine(info)
    with session(info) as conn, conn.cursor() as cur:
        dialect = dialects.for_connection(conn)
        cur.execute("SELECT SUM(table_rows) FROM information_schema.tables WHERE table_schema = DATABASE()")
        approx_rows = int(cur.fetchone()[0] or 0)
    work = Path(tempfile.mkdtemp(prefix="hms-bench-recovery-", dir=args.work))
    os.chmod(work, 0o755)
    backups = work / "backups"
    record: dict = {"benchmark": "recovery", "scale": args.scale, "database": args.database,
                    "approx_rows": approx_rows, "parts": parts}
    try:
        if "logical" in parts:
            record["logical"] = logical(info, dialect, work, backups, args.threads)
        kept = None
        if {"physical", "rollforward"} & set(parts):
            record["physical"], kept = physical(info, server, work, backups)
        if "rollforward" in parts:
            record["rollforward"] = rollforward(info, server, work, backups, kept["prepared"], kept["backup"],
                                                args.oltp_seconds, args.clients)
        if "impact" in parts:
            record["impact"] = impact(info, backups, args.impact_seconds, args.clients)
        if "restore-rounds" in parts:
            record["restore-rounds"] = restore_rounds(info, server, work, backups, args.rounds, args.other)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(record)
    print()
    harness.write_results("recovery", record, facts)


if __name__ == "__main__":
    main()
