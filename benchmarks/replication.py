"""Replication benchmark: replica lag under the booking load, the cost of semi-sync, what routing buys.

    python benchmarks/replication.py [--scale 0.1] [--seconds 8] [--rounds 2] [--clients 1,4,8]

On the embedded server of HMS_HOME (the primary, holding `hms seed` data at --scale in
hms_bench_<scale>), a replica `bench` is added with `hms replica add`'s code and removed
at the end. Side by side, in one run:

- replication lag (p50, p99, max) while oltp.py's booking workload runs on the primary
  at 1, 4 and 8 clients, asynchronous and semi-synchronous. A probe reads the
  primary's gtid_binlog_pos, then waits on the replica with MASTER_GTID_WAIT until it
  applied it: the time from the primary having committed a transaction to the replica
  having applied it, sampled every 20 ms (each sample includes two loopback round
  trips, about 0.3 ms);
- the cost of semi-sync: booking p50/p99 on the primary, async against semi-sync;
- what routing buys: booking p99 on the primary at --routing-clients clients with no
  report, with appointments_summary (every appointment, streamed) running in a loop on
  the primary, and with it running on the replica (through the mariadb client, output
  discarded; the client stands for an analyst's machine, so it runs on idle CPU in every
  variant); on the replica twice: at the lowered CPU and I/O priority hms gives a
  replica (hms/replication/priority.py, the default) and at normal priority (before it);
- the lag phases also run at both priorities, as the lowered replica applies later
  when the machine is saturated.

The machine may be shared, so the variants being compared run interleaved, in --rounds
rounds of alternating order (A B, then B A, ...): each figure is the median over its
rounds (lag percentiles: over all samples of its rounds), so a load that comes and goes
falls on both sides alike.

Targets: lag p99 under 1 s at 8 clients; booking p99 with the report on the replica
within 1.2x of no report at all. Each phase records the 1-minute load average at its end.
Appointments the benchmark books are deleted after.
Prints a table and writes benchmarks/results/replication-scale<S>-<time>.json.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from datetime import timedelta

import harness  # first: puts this checkout's code on sys.path
import oltp
from harness import Column, percentile, session
from hms import dialect as dialects
from hms.backup import priority as background
from hms.config import Settings
from hms.optionfiles import defaults_file
from hms.queries import get_query
from hms.replication import locked
from hms.replication import priority as priorities
from hms.replication import role as roles
from hms.replication.add import add_replica, join_semi_sync
from hms.replication.lifecycle import remove_replica

REPLICA = "bench"
PROBE_INTERVAL = 0.02
TARGET_LAG_P99_S = 1.0
TARGET_ROUTED_RATIO = 1.2
LOWERED, NORMAL = "lowered", "normal"
ON_REPLICA = "on the replica"
ON_REPLICA_NORMAL = "on the replica, normal priority"


def probe_lag(primary, replica, stop: threading.Event, samples: list[float]) -> None:
    """Sample primary-commit-to-replica-apply times until `stop` is set."""
    with session(primary, database=None) as p, session(replica, database=None) as r, \
            p.cursor() as pc, r.cursor() as rc:
        while not stop.is_set():
            started = time.perf_counter()
            pc.execute("SELECT @@gtid_binlog_pos")
            rc.execute("SELECT MASTER_GTID_WAIT(%s, 60)", (pc.fetchone()[0],))
            if rc.fetchone()[0] == 0:
                samples.append(time.perf_counter() - started)
            time.sleep(PROBE_INTERVAL)


def lag_phase(primary, replica, inputs: dict, clients: int, seconds: float) -> dict:
    """Booking from `clients` processes for `seconds`, lag probed meanwhile; return both sets of figures."""
    stop, samples = threading.Event(), []
    probe = threading.Thread(target=probe_lag, args=(primary, replica, stop, samples))
    probe.start()
    try:
        phase = oltp.run_phase(primary, "booking", inputs, clients, seconds)
    finally:
        stop.set()
        probe.join()
    phase["lag_seconds"] = samples
    phase["load_1m"] = os.getloadavg()[0]
    return phase


def combined(rounds: list[dict]) -> dict:
    """One variant's figures over its rounds: medians of the booking figures, lag over all samples."""
    first = rounds[0]
    merged = {k: first[k] for k in ("workload", "clients", "seconds")}
    for key in ("throughput", "p50_ms", "p95_ms", "p99_ms", "max_ms"):
        merged[key] = harness.median([r[key] for r in rounds])
    merged["rounds"] = [{k: v for k, v in r.items() if k not in ("booked", "lag_seconds")} for r in rounds]
    lags = sorted(x for r in rounds for x in r.get("lag_seconds", []))
    if lags:
        merged.update(lag_samples=len(lags), lag_p50_ms=percentile(lags, 50) * 1000,
                      lag_p99_ms=percentile(lags, 99) * 1000, lag_max_ms=lags[-1] * 1000)
    merged["load_1m"] = [r["load_1m"] for r in rounds]
    for key in ("report_runs", "report_seconds", "report_client_cpu_s", "primary_server_cores",
                "replica_server_cores"):
        if key in first:
            values = [r[key] for r in rounds if r[key] is not None]
            merged[key] = sum(values) if key == "report_runs" else (harness.median(values) if values else None)
    return merged


def fresh_slots(inputs: dict, counter=iter(range(1, 1 << 30))) -> dict:
    """The inputs with a booking window of its own: oltp's clients draw the same slots in every
    phase with the same client count, so without it only the first phase would book (the
    others would find every slot taken, a cheaper path)."""
    return dict(inputs, first_free_day=inputs["first_free_day"] + timedelta(days=400 * next(counter)))


def interleaved(variants: list, rounds: int, run) -> dict:
    """Run each variant `rounds` times in alternating order; return {variant: its rounds}."""
    done: dict = {v: [] for v in variants}
    for n in range(rounds):
        for variant in (variants if n % 2 == 0 else list(reversed(variants))):
            done[variant].append(run(variant))
    return done


def report_loop(info, sql: str, stop: threading.Event, runs: list[float], client_cpu: list[float]) -> None:
    """Run the report through the mariadb client, output discarded, until `stop` is set.

    The client runs on this machine in every variant, standing for an analyst's machine
    elsewhere: isolated as a backup's own processes are (hms/backup/priority.py `isolate`: idle
    CPU group, nice 19 in a session of its own); its CPU seconds are recorded so that share can
    be told apart."""
    client = dialects.MARIADB.client_binary()
    with defaults_file(info) as cnf:
        while not stop.is_set():
            started = time.perf_counter()
            process = subprocess.Popen([client, f"--defaults-extra-file={cnf}", "--quick", "--batch", "-e", sql,
                                        info.database], stdout=subprocess.DEVNULL,
                                       preexec_fn=background.isolate)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode != 0:
                raise subprocess.CalledProcessError(process.returncode, client)
            runs.append(time.perf_counter() - started)
            client_cpu.append(usage.ru_utime + usage.ru_stime)


def server_cpu_seconds(pid: int | None) -> float | None:
    """CPU seconds (user + system, every thread) process `pid` has used so far; None when unknown."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def routing_phase(primary, report_on, inputs: dict, clients: int, seconds: float, pids: dict) -> dict:
    """Booking on the primary while appointments_summary loops on `report_on` (None: no report).

    `pids`: {"primary": pid, "replica": pid} of the servers, whose CPU use over the phase
    is recorded over the booking window (in cores): the replica's priority changes its share."""
    stop, runs, client_cpu = threading.Event(), [], []
    looping = None
    if report_on is not None:
        sql = get_query("appointments_summary").sql
        looping = threading.Thread(target=report_loop, args=(report_on, sql, stop, runs, client_cpu))
        looping.start()
        time.sleep(1.0)           # the report is under way before the bookings start
    before = {name: server_cpu_seconds(pid) for name, pid in pids.items()}
    wall = time.perf_counter()
    try:
        phase = oltp.run_phase(primary, "booking", inputs, clients, seconds)
        wall = time.perf_counter() - wall
        cores = {name: (None if before[name] is None or server_cpu_seconds(pid) is None
                        else (server_cpu_seconds(pid) - before[name]) / wall) for name, pid in pids.items()}
    finally:
        stop.set()
        if looping is not None:
            looping.join()
    phase.update(report_runs=len(runs), report_seconds=harness.median(runs) if runs else None,
                 report_client_cpu_s=harness.median(client_cpu) if client_cpu else None,
                 load_1m=os.getloadavg()[0], **{f"{name}_server_cores": c for name, c in cores.items()})
    return phase


def set_priority(member, level: str) -> None:
    """Run the replica's server at hms's lowered priority, its clients on idle CPU where the kernel
    allows it, or everything at normal priority (as before)."""
    pid = priorities.server_pid(member.server().pid_file)
    if level == LOWERED:
        priorities.lower(pid)
    elif not priorities.restore(pid):
        harness.fail("the replica's priority could not be raised back to normal for the comparison",
                     "Run the benchmark as root (or with CAP_SYS_NICE)")
    with session(member.login(), database=None) as conn:
        priorities.idle_clients(conn, replica=level == LOWERED)


def set_semi_sync(topology, member, primary_login, on: bool) -> None:
    """Switch the bench replica (and so the primary) between asynchronous and semi-synchronous."""
    member.semi_sync = on
    roles.apply(topology, member)
    roles.apply(topology, topology.primary_member())
    if on:
        join_semi_sync(primary_login, member)
    else:
        with session(member.login(), database=None) as conn, conn.cursor() as cur:
            cur.execute("STOP SLAVE IO_THREAD")
            cur.execute("START SLAVE IO_THREAD")


LAG_COLUMNS = [Column("mode", 9, left=True), Column("priority", 8, left=True), Column("clients", 7),
               Column("bookings/s", 10, ".0f"),
               Column("book p50 ms", 11, ".2f"), Column("book p99 ms", 11, ".2f"), Column("lag p50 ms", 10, ".2f"),
               Column("lag p99 ms", 10, ".2f"), Column("lag max ms", 10, ".1f"), Column("samples", 7),
               Column("load", 14, left=True), Column("target lag p99", 14)]
ROUTING_COLUMNS = [Column("appointments_summary", 31, left=True), Column("clients", 7),
                   Column("bookings/s", 10, ".0f"), Column("book p50 ms", 11, ".2f"), Column("book p99 ms", 11, ".2f"),
                   Column("p99 / none", 10, ".2f", "x"), Column("report runs", 11), Column("report s", 8, ".1f"),
                   Column("primary cores", 13, ".2f"), Column("replica cores", 13, ".2f"),
                   Column("load", 14, left=True)]


def report(lag: list[dict], routing: list[dict]) -> None:
    print()
    rows = []
    for p in lag:
        target = f"< {TARGET_LAG_P99_S * 1000:.0f} " + ("ok" if p["lag_p99_ms"] < TARGET_LAG_P99_S * 1000 else "MISSED")
        rows.append([p["mode"], p["priority"], p["clients"], p["throughput"], p["p50_ms"], p["p99_ms"],
                     p["lag_p50_ms"], p["lag_p99_ms"], p["lag_max_ms"], p["lag_samples"], loads(p),
                     target if p["clients"] == 8 else ""])
    harness.table(LAG_COLUMNS, rows)
    print()
    if not routing:
        return
    base = routing[0]["p99_ms"]
    harness.table(ROUTING_COLUMNS, [[p["where"], p["clients"], p["throughput"], p["p50_ms"], p["p99_ms"],
                                     p["p99_ms"] / base, p["report_runs"], p["report_seconds"],
                                     p["primary_server_cores"], p["replica_server_cores"], loads(p)]
                                    for p in routing])
    for where in (ON_REPLICA, ON_REPLICA_NORMAL):
        ratio = next(p for p in routing if p["where"] == where)["p99_ms"] / base
        print(f"target: booking p99 with the report {where} within {TARGET_ROUTED_RATIO}x of no report: "
              f"{ratio:.2f}x {'ok' if ratio <= TARGET_ROUTED_RATIO else 'MISSED'}")


def loads(phase: dict) -> str:
    """The 1-minute load averages at the end of the phase's rounds."""
    return "/".join(f"{x:.1f}" for x in phase["load_1m"])


def main() -> None:
    parser = harness.arguments(__doc__, scale=0.1)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each variant, in alternating order")
    parser.add_argument("--clients", default="1,4,8",
                        help="booking clients per lag phase, comma-separated (empty: no lag phases)")
    parser.add_argument("--routing-clients", type=int, default=4,
                        help="booking clients in the routing phases (0: no routing phases)")
    parser.add_argument("--lag-priorities", default=f"{LOWERED},{NORMAL}",
                        help="replica priorities the lag phases compare (lowered: hms's default; normal: before it)")
    args = parser.parse_args()
    clients = [int(n) for n in args.clients.split(",") if n]      # --clients "": the routing phases only
    lag_priorities = [p for p in args.lag_priorities.split(",") if p]
    if not set(lag_priorities) <= {LOWERED, NORMAL}:
        harness.fail(f"--lag-priorities takes {LOWERED} and/or {NORMAL}", f"e.g. --lag-priorities {LOWERED}")
    settings = Settings.from_env()
    if settings.url:
        harness.fail("the benchmark adds a replica to the embedded server of HMS_HOME",
                     "Unset HMS_DATABASE_URL and set HMS_HOME")
    info = harness.loaded_database(args.scale, args.database)
    facts = harness.machine(info)
    print(f"replication benchmark on '{info.database}' at scale {args.scale:g}: {harness.describe(facts)}")
    inputs = oltp.sample_inputs(info, random.Random(42))
    lag, routing, booked = [], [], []
    with locked(settings.home) as topology:
        print(f"  adding replica '{REPLICA}' (mariadb-backup copy of the primary) ...", flush=True)
        started = time.perf_counter()
        add_replica(topology, REPLICA)
        add_seconds = time.perf_counter() - started
        member = topology.member(REPLICA)
        replica_pool = int(roles.options(topology, member)["innodb_buffer_pool_size"])
        primary_login = topology.primary_member().login()
        replica = member.login().with_database(info.database)
        try:
            replica_priority = str(priorities.of(priorities.server_pid(member.server().pid_file)))
            for n in clients:
                def lag_run(variant: tuple[str, str], n: int = n) -> dict:
                    mode, level = variant
                    set_semi_sync(topology, member, primary_login, mode == "semi-sync")
                    set_priority(member, level)
                    print(f"  booking, {n} client(s), {mode}, replica priority {level} ...", flush=True)
                    phase = lag_phase(info, replica, fresh_slots(inputs), n, args.seconds)
                    booked.extend(phase.pop("booked"))
                    return phase
                variants = [(mode, level) for level in lag_priorities for mode in ("async", "semi-sync")]
                for (mode, level), rounds in interleaved(variants, args.rounds, lag_run).items():
                    lag.append({"mode": mode, "priority": level, **combined(rounds)})
            set_semi_sync(topology, member, primary_login, False)
            pids = {"primary": priorities.server_pid(topology.primary_member().server().pid_file),
                    "replica": priorities.server_pid(member.server().pid_file)}
            targets = {"none": None, "on the primary": info, ON_REPLICA: replica, ON_REPLICA_NORMAL: replica}

            def routing_run(where: str) -> dict:
                set_priority(member, NORMAL if where == ON_REPLICA_NORMAL else LOWERED)
                print(f"  booking, {args.routing_clients} clients, report {where} ...", flush=True)
                phase = routing_phase(info, targets[where], fresh_slots(inputs), args.routing_clients, args.seconds,
                                      pids)
                booked.extend(phase.pop("booked"))
                return phase
            for where, rounds in interleaved(list(targets) if args.routing_clients else [], args.rounds,
                                             routing_run).items():
                routing.append({"where": where, **combined(rounds)})
        finally:
            oltp.delete_booked(info, booked)
            remove_replica(topology, REPLICA)
    report(lag, routing)
    harness.write_results("replication", {"scale": args.scale, "seconds": args.seconds, "rounds": args.rounds,
                                          "database": info.database,
                                          "add_replica_seconds": add_seconds, "replica_pool_bytes": replica_pool,
                                          "replica_priority": replica_priority,
                                          "lag": lag, "routing": routing}, facts)


if __name__ == "__main__":
    main()
