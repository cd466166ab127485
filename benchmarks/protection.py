"""Protection benchmark: what each health-data protection costs, side by side in one run.

Two fresh embedded homes under /tmp, each migrated and seeded at --scale: a plain one and
one made with `hms server start --encrypt`. The seed load (wall time and the server's CPU)
--seed-rounds times per home, the homes alternating (after the first, each round drops the
home's database, migrates it anew and seeds it again, so every round loads the same data
into the same home). On each home: a cold and a warm
full-table scan (appointment's clustered index, after a restart with no buffer-pool
reload), and `hms backup create`, the two homes alternating round by round. On the plain home: the patient record and booking p99
over TLS (verified with the home's CA) against plain TCP (TLS disabled), and booking +
record throughput with the access audit (server_audit) on against off. Variants are
interleaved in rounds to spread the shared machine's noise, taking turns going first, and
besides the pooled figures each comparison prints its cost round by round and the median
of those. Target: each protection costs at most 15% on its workload.

    python benchmarks/protection.py --scale 0.1
    python benchmarks/protection.py --scale 0.02 --seconds 8 --rounds 3 --seed-rounds 1
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness  # first: puts this checkout's code on sys.path
import pymysql
from harness import Column, ROOT, percentile

import oltp
from hms.server import EmbeddedServer

TARGET = 0.15
POOL = "512M"  # both homes alike, small enough for a shared machine


def hms(home: Path, *args: str, backups: Path | None = None) -> float:
    """Run this checkout's CLI for `home`; return its wall-clock seconds (exit on failure)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    env.update(HMS_HOME=str(home), HMS_DATABASE="hms")
    if backups:
        env["HMS_BACKUP_DIR"] = str(backups)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--quiet", *args], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        harness.fail(f"`hms {' '.join(args)}` failed: {(done.stderr or done.stdout).strip()[-300:]}",
                     f"Run it by hand with HMS_HOME={home}")
    return time.perf_counter() - started


def make_home(kind: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix=f"hms-protect-{kind}-"))
    os.chmod(home, 0o755)
    # The user's file: both homes get the same small pool, and no buffer-pool reload (cold scans).
    (home / "my.cnf").write_text(f"[mysqld]\ninnodb_buffer_pool_size = {POOL}\n"
                                 "innodb_buffer_pool_load_at_startup = OFF\ninnodb_buffer_pool_dump_at_shutdown = OFF\n")
    return home


def admin(home: Path, **tcp) -> pymysql.connections.Connection:
    info = EmbeddedServer(home).connection_info()
    if tcp:
        return pymysql.connect(host="127.0.0.1", port=info.port, user=info.user, password=info.password,
                               database="hms", autocommit=True, **tcp)
    return pymysql.connect(unix_socket=info.unix_socket, user=info.user, password=info.password, database="hms",
                           autocommit=True, ssl_disabled=True)


def scan_seconds(home: Path) -> float:
    with admin(home) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        cur.execute("SELECT COUNT(*), SUM(LENGTH(reason)) FROM appointment FORCE INDEX (PRIMARY)")
        cur.fetchall()
        return time.perf_counter() - started


def server_cpu_seconds(home: Path) -> float:
    """The server process's CPU seconds so far (user + system, its exited threads included; 10 ms steps)."""
    pid = EmbeddedServer(home).pid()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_seed(home: Path, scale: float) -> tuple[float, float]:
    """Seed the running home's database; return its (wall, server CPU) seconds."""
    cpu = server_cpu_seconds(home)
    seconds = hms(home, "seed", "--scale", f"{scale:g}")
    return seconds, server_cpu_seconds(home) - cpu


def reseed(home: Path, scale: float) -> tuple[float, float]:
    """Seed the home's database again: dropped, migrated anew, seeded; its (wall, server CPU) seconds.

    A drop rather than a second database beside the first: with two, the 512M pool held
    neither, and the encrypted home's second seed took 95 s against 54 s for its first
    (plain 38-52 s): a cost of that memory pressure, not of the seed a home gets."""
    with admin(home) as conn, conn.cursor() as cur:
        cur.execute("DROP DATABASE hms")
        cur.execute("DROP DATABASE IF EXISTS hms_console")
    hms(home, "db", "migrate")
    return timed_seed(home, scale)


def load_home(home: Path, scale: float, encrypt: bool) -> tuple[float, float]:
    """Start (creating), migrate and seed one home; return the seed's (wall, server CPU) seconds; leave it running."""
    hms(home, "server", "start", *(["--encrypt"] if encrypt else []))
    hms(home, "db", "migrate")
    seed = timed_seed(home, scale)
    if encrypt:  # the background threads finish the system tablespace before the scans
        with admin(home) as conn, conn.cursor() as cur:
            for _ in range(600):
                cur.execute("SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                            "WHERE ENCRYPTION_SCHEME = 0 OR ROTATING_OR_FLUSHING = 1")
                if cur.fetchone()[0] == 0:
                    break
                time.sleep(1)
    return seed


def storage_figures(homes: dict[str, Path], backups: dict[str, Path], rounds: int) -> dict:
    """Cold scan (after a restart), best of 3 warm scans and a backup, homes alternating each round."""
    samples = {kind: {"cold_scan_s": [], "warm_scan_s": [], "backup_s": []} for kind in homes}
    for round_ in range(rounds):
        for kind in (list(homes) if round_ % 2 == 0 else list(reversed(homes))):
            home = homes[kind]
            hms(home, "server", "stop")
            hms(home, "server", "start")
            samples[kind]["cold_scan_s"].append(scan_seconds(home))
            samples[kind]["warm_scan_s"].append(min(scan_seconds(home) for _ in range(3)))
            samples[kind]["backup_s"].append(hms(home, "backup", "create", backups=backups[kind]))
    return {kind: {key: harness.median(values) for key, values in figures.items()} | {"samples": figures}
            for kind, figures in samples.items()}


def timed_ops(conn, op, inputs: dict, seconds: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    latencies = []
    with conn.cursor() as cur:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            op(cur, rng, inputs)
            latencies.append(time.perf_counter() - started)
    return latencies


def tls_figures(home: Path, inputs: dict, seconds: float, rounds: int) -> dict:
    """p50/p99 of the record and booking calls over plain TCP and over verified TLS, interleaved.

    The two modes take turns going first, round by round (a fixed order would hand the later
    one a fuller booking table and whatever else drifts within a round); each round's p99 of
    each mode is kept, so the cost is also given as the median of the rounds' paired costs."""
    ca = str(home / "tls" / "ca.pem")
    modes = {"plain TCP": {"ssl_disabled": True},
             "TLS": {"ssl_ca": ca, "ssl_verify_cert": True, "ssl_verify_identity": True}}
    workloads = (("patient record", oltp.op_record), ("booking", oltp.op_booking))
    samples = {(m, w): [] for m in modes for w, _ in workloads}
    round_p99 = {(m, w): [] for m in modes for w, _ in workloads}
    versions = {}
    for round_ in range(rounds):
        for mode in (("plain TCP", "TLS") if round_ % 2 == 0 else ("TLS", "plain TCP")):
            with admin(home, **modes[mode]) as conn:
                with conn.cursor() as cur:
                    cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
                    versions[mode] = cur.fetchone()[1] or "none"
                for number, (workload, op) in enumerate(workloads):
                    # Each mode, workload and round its own random requests: with the same
                    # ones, the second mode of a round would book slots the first already took.
                    seed = 100 * round_ + 10 * list(modes).index(mode) + number
                    latencies = sorted(timed_ops(conn, op, inputs, seconds, seed))
                    samples[(mode, workload)] += latencies
                    round_p99[(mode, workload)].append(percentile(latencies, 99) * 1000)
    out = {}
    for (mode, workload), values in samples.items():
        values.sort()
        out[f"{workload} / {mode}"] = {"ops": len(values), "p50_ms": percentile(values, 50) * 1000,
                                       "p99_ms": percentile(values, 99) * 1000, "ssl_version": versions[mode],
                                       "round_p99_ms": round_p99[(mode, workload)]}
    for workload, _ in workloads:
        paired = [cost(base, prot) for base, prot in zip(round_p99[("plain TCP", workload)],
                                                         round_p99[("TLS", workload)])]
        out[f"{workload} / round costs"] = {"costs": paired, "median": harness.median(paired)}
    return out


def audit_figures(home: Path, inputs: dict, seconds: float, rounds: int) -> dict:
    """Throughput of alternating record and booking calls with the access audit on and off.

    Each variant restarts the server (the audit plugin is loaded at start or not at all),
    so each is first warmed for `seconds` untimed: the homes start with no buffer-pool
    reload, and a cold pool would weigh on whichever variant it met. The cost is also given
    as the median of the rounds' paired costs."""
    def mixed(cur, rng, inputs):
        (oltp.op_record if rng.random() < 0.5 else oltp.op_booking)(cur, rng, inputs)

    ops = {"audit on": 0, "audit off": 0}
    spent = {"audit on": 0.0, "audit off": 0.0}
    per_round = {"audit on": [], "audit off": []}
    for round_ in range(rounds):
        for variant in (("audit off", "audit on") if round_ % 2 else ("audit on", "audit off")):
            hms(home, "server", "stop")
            hms(home, "server", "start", "--access-audit" if variant == "audit on" else "--no-access-audit")
            # Each variant and round its own random requests (as in tls_figures), the warm-up too.
            seed = 100 * round_ + 10 * ("audit on", "audit off").index(variant)
            with admin(home) as conn:
                timed_ops(conn, mixed, inputs, seconds, seed + 1)  # warm the pool after the restart
                latencies = timed_ops(conn, mixed, inputs, seconds, seed)
            ops[variant] += len(latencies)
            spent[variant] += sum(latencies)
            per_round[variant].append(len(latencies) / sum(latencies))
    hms(home, "server", "stop")
    hms(home, "server", "start", "--access-audit")
    paired = [cost(off, on, higher_is_better=True) for off, on in zip(per_round["audit off"], per_round["audit on"])]
    return {variant: {"ops": ops[variant], "ops_per_s": ops[variant] / spent[variant],
                      "round_ops_per_s": per_round[variant]} for variant in ops} | \
        {"round costs": {"costs": paired, "median": harness.median(paired)}}


def cost(base: float, protected: float, higher_is_better: bool = False) -> float:
    return (base / protected - 1) if higher_is_better else (protected / base - 1)


def main() -> None:
    parser = harness.arguments(__doc__, scale=0.1, database=False)
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds per timed round (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per comparison (default 3)")
    parser.add_argument("--seed-rounds", type=int, default=3,
                        help="seed loads per home, the homes alternating (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the two homes under /tmp")
    args = parser.parse_args()
    homes = {"plain": make_home("plain"), "encrypted": make_home("enc")}
    backups = {k: Path(tempfile.mkdtemp(prefix=f"hms-protect-{k}-backups-")) for k in homes}
    record: dict = {"scale": args.scale, "seconds": args.seconds, "rounds": args.rounds,
                    "seed_rounds": args.seed_rounds, "pool": POOL}
    try:
        seeds: dict[str, list[tuple[float, float]]] = {}
        for kind in ("plain", "encrypted"):
            print(f"{kind} home: start, migrate, seed at scale {args.scale:g} ...", flush=True)
            seeds[kind] = [load_home(homes[kind], args.scale, kind == "encrypted")]
        for round_ in range(1, args.seed_rounds):
            for kind in (("encrypted", "plain") if round_ % 2 else ("plain", "encrypted")):
                print(f"{kind} home: seed round {round_ + 1} of {args.seed_rounds} ...", flush=True)
                seeds[kind].append(reseed(homes[kind], args.scale))
        print("cold and warm scans and backups, the homes alternating ...", flush=True)
        record["storage"] = storage_figures(homes, backups, args.rounds)
        for kind in homes:
            walls, cpus = [w for w, _ in seeds[kind]], [c for _, c in seeds[kind]]
            record["storage"][kind].update(seed_s=harness.median(walls), seed_server_cpu_s=harness.median(cpus))
            record["storage"][kind]["samples"].update(seed_s=walls, seed_server_cpu_s=cpus)
        hms(homes["encrypted"], "server", "stop")
        facts = harness.machine(EmbeddedServer(homes["plain"]).connection_info().with_database("hms"))
        info = EmbeddedServer(homes["plain"]).connection_info().with_database("hms")
        inputs = oltp.sample_inputs(info, random.Random(7))
        inputs["booked"] = []
        print("TLS against plain TCP ...", flush=True)
        record["tls"] = tls_figures(homes["plain"], inputs, args.seconds, args.rounds)
        print("access audit on against off ...", flush=True)
        record["audit"] = audit_figures(homes["plain"], inputs, args.seconds, args.rounds)
        oltp.delete_booked(EmbeddedServer(homes["plain"]).connection_info().with_database("hms"), inputs["booked"])
        report(record)
        harness.write_results("protection", record, facts)
    finally:
        for home in homes.values():
            EmbeddedServer(home).stop()
            if not args.keep:
                shutil.rmtree(home, ignore_errors=True)
        for directory in backups.values():
            shutil.rmtree(directory, ignore_errors=True)


def report(record: dict) -> None:
    plain, enc = record["storage"]["plain"], record["storage"]["encrypted"]
    rows = []
    for key, label in (("seed_s", "seed load (s)"), ("seed_server_cpu_s", "seed: server CPU (s)"),
                       ("cold_scan_s", "cold full scan (s)"),
                       ("warm_scan_s", "warm full scan (s)"), ("backup_s", "backup create (s)")):
        c = cost(plain[key], enc[key])
        rows.append(("encryption at rest", label, plain[key], enc[key], c * 100, "yes" if c <= TARGET else "NO"))
    tls = record["tls"]
    for workload in ("patient record", "booking"):
        base, prot = tls[f"{workload} / plain TCP"]["p99_ms"], tls[f"{workload} / TLS"]["p99_ms"]
        c = cost(base, prot)
        rows.append(("TLS", f"{workload} p99 (ms)", base, prot, c * 100, "yes" if c <= TARGET else "NO"))
    audit = record["audit"]
    base, prot = audit["audit off"]["ops_per_s"], audit["audit on"]["ops_per_s"]
    c = cost(base, prot, higher_is_better=True)
    rows.append(("access audit", "record+booking ops/s", base, prot, c * 100, "yes" if c <= TARGET else "NO"))
    harness.table([Column("protection", 19, left=True), Column("workload", 22, left=True),
                   Column("without", 9, ".3f"), Column("with", 9, ".3f"), Column("cost %", 7, "+.1f"),
                   Column("<=15%", 5)], rows)
    print("\ncost round by round (each round's variants back to back, their order alternating):")
    by_round = [(f"TLS, {w} p99", tls[f"{w} / round costs"]) for w in ("patient record", "booking")]
    for label, figures in by_round + [("access audit, ops/s", audit["round costs"])]:
        print(f"  {label:28} " + ", ".join(f"{c * 100:+.1f}%" for c in figures["costs"])
              + f"; median {figures['median'] * 100:+.1f}%")


if __name__ == "__main__":
    main()
