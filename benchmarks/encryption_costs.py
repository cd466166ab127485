"""Where encryption at rest's cost goes: seed load and cold scan, plain against encrypted variants.

benchmarks/protection.py measures each protection's cost once; this script takes the
encrypted home apart. Fresh homes under /tmp, each migrated and seeded at --scale one
after another (the plain baseline first and last, so drift shows): the plain home, the
encrypted home as `hms server start --encrypt` makes it now, and variants of it (glibc's
MALLOC_PERTURB_ off, or the settings hms used before, given as my.cnf lines). Then cold
scans of `appointment` (restart, no buffer-pool reload, pages from the OS cache) with the
homes alternating round by round. Besides wall-clock time, the server process's CPU
seconds (user + system, /proc) during the seed and each scan: on a shared machine they
move far less with the load than wall time does, and they say whether a scan is CPU-bound
on decryption.

    python benchmarks/encryption_costs.py --scale 0.1 --rounds 5
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import harness  # first: puts this checkout's code on sys.path
from harness import Column

from hms.server import EmbeddedServer, protection
from protection import POOL, admin, hms, timed_seed

# name -> (encrypted?, MALLOC_PERTURB_ on?, extra my.cnf lines)
VARIANTS = {
    "plain": (False, False, ""),
    "encrypted": (True, True, ""),
    "encrypted, no malloc perturb": (True, False, ""),
    "encrypted, sort buffer 64M": (True, True, "innodb_sort_buffer_size = 67108864\n"),
    "plain, sort buffer 64M": (False, False, "innodb_sort_buffer_size = 67108864\n"),
    # Not settings to ship (each leaves a kind of file in plain text): what each part costs.
    "encrypted, redo log plain": (True, True, "innodb_encrypt_log = OFF\n"),
    "encrypted, temporary files plain": (True, True, "encrypt_tmp_files = OFF\n"),
    "encrypted, no encryption threads": (True, True, "innodb_encryption_threads = 0\n"),
}


def make_home(kind: str, extra: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix="hms-enccost-"))
    os.chmod(home, 0o755)
    (home / "my.cnf").write_text(f"[mysqld]\ninnodb_buffer_pool_size = {POOL}\n"
                                 "innodb_buffer_pool_load_at_startup = OFF\n"
                                 f"innodb_buffer_pool_dump_at_shutdown = OFF\n{extra}")
    return home


def start(home: Path, perturb: bool) -> None:
    """Start the home's server in this process, so MALLOC_PERTURB_ can be left out for a variant."""
    original = protection.server_environment
    if not perturb:
        protection.server_environment = lambda home: {k: v for k, v in os.environ.items()
                                                      if k != "MALLOC_PERTURB_"}
    try:
        EmbeddedServer(home).start()
    finally:
        protection.server_environment = original


def server_thread_cpu_seconds(home: Path) -> float:
    """The CPU seconds of the server's live threads, to the nanosecond (schedstat): for one short query."""
    pid = EmbeddedServer(home).pid()
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
    return total / 1e9


def cold_scan(home: Path, perturb: bool) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) of a full scan of appointment right after a restart."""
    EmbeddedServer(home).stop()
    start(home, perturb)
    with admin(home) as conn, conn.cursor() as cur:
        cpu = server_thread_cpu_seconds(home)
        began = time.perf_counter()
        cur.execute("SELECT COUNT(*), SUM(LENGTH(reason)) FROM appointment FORCE INDEX (PRIMARY)")
        cur.fetchall()
        return time.perf_counter() - began, server_thread_cpu_seconds(home) - cpu


def load_home(home: Path, scale: float, encrypted: bool) -> tuple[float, float]:
    """Start (creating), migrate and seed one home; return the seed's (wall, server CPU) seconds."""
    hms(home, "server", "start", *(["--encrypt"] if encrypted else []))
    hms(home, "db", "migrate")
    return timed_seed(home, scale)


def main() -> None:
    parser = harness.arguments(__doc__, scale=0.1, database=False)
    parser.add_argument("--rounds", type=int, default=5, help="cold scans per home (default 5)")
    parser.add_argument("--variants", default=";".join(VARIANTS),
                        help="semicolon-separated names from: " + ", ".join(VARIANTS))
    args = parser.parse_args()
    chosen = [name.strip() for name in args.variants.split(";")]
    homes: dict[str, Path] = {}
    record: dict = {"scale": args.scale, "rounds": args.rounds, "pool": POOL, "variants": {}}
    try:
        for name in chosen:
            homes[name] = make_home(name, VARIANTS[name][2])
        for name in chosen:
            encrypted, perturb, _ = VARIANTS[name]
            print(f"{name}: start, migrate, seed at scale {args.scale:g} (load {os.getloadavg()[0]:.1f}) ...",
                  flush=True)
            if encrypted and not perturb:
                protection.choose(homes[name], encrypt=True, fresh=True)
                start(homes[name], perturb=False)
            seed, seed_cpu = load_home(homes[name], args.scale, encrypted)
            record["variants"][name] = {"seed_s": seed, "seed_server_cpu_s": seed_cpu,
                                        "load_after_seed": os.getloadavg()[0],
                                        "scan_s": [], "scan_cpu_s": []}
            EmbeddedServer(homes[name]).stop()
        for round_ in range(args.rounds):
            for name in (chosen if round_ % 2 == 0 else list(reversed(chosen))):
                wall, cpu = cold_scan(homes[name], VARIANTS[name][1])
                record["variants"][name]["scan_s"].append(wall)
                record["variants"][name]["scan_cpu_s"].append(cpu)
                EmbeddedServer(homes[name]).stop()
        record["load_average"] = os.getloadavg()
        report(record)
        harness.write_results("encryption-costs", record, {"cpu": harness._cpu_model(), "cores": os.cpu_count(),
                                                           "load_average": record["load_average"]})
    finally:
        for home in homes.values():
            EmbeddedServer(home).stop()
            shutil.rmtree(home, ignore_errors=True)


def report(record: dict) -> None:
    base = record["variants"].get("plain")
    rows = []
    for name, figures in record["variants"].items():
        scan, cpu = harness.median(figures["scan_s"]), harness.median(figures["scan_cpu_s"])
        seed_cost = (figures["seed_s"] / base["seed_s"] - 1) * 100 if base else 0.0
        scan_cost = (scan / harness.median(base["scan_s"]) - 1) * 100 if base else 0.0
        seed_cpu_cost = (figures["seed_server_cpu_s"] / base["seed_server_cpu_s"] - 1) * 100 if base else 0.0
        cpu_cost = (cpu / harness.median(base["scan_cpu_s"]) - 1) * 100 if base else 0.0
        rows.append((name, figures["seed_s"], seed_cost, figures["seed_server_cpu_s"], seed_cpu_cost,
                     scan, scan_cost, cpu, cpu_cost))
    harness.table([Column("home", 32, left=True), Column("seed s", 7, ".1f"), Column("cost %", 7, "+.0f"),
                   Column("seed cpu s", 10, ".1f"), Column("cost %", 7, "+.0f"),
                   Column("cold scan s", 11, ".3f"), Column("cost %", 7, "+.0f"), Column("scan cpu s", 10, ".3f"),
                   Column("cost %", 7, "+.0f")], rows)
    print(f"load average at the end: {record['load_average']}")


if __name__ == "__main__":
    sys.exit(main())
