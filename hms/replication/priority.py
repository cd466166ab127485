"""CPU and I/O priority of the members' servers: a replica yields to its primary.

hms keeps every replica on the primary's host (loopback only), so the two servers share
its cores and disk. A report running on the replica would otherwise take CPU the
primary's bookings wait for. So whenever hms starts a replica, or a member becomes one,
it renices every thread of the replica's mariadbd to REPLICA_NICE (nice 5: CPU weight
about a third of the primary's under contention; an idle machine still gives it all it
asks for) and sets its I/O priority to best-effort level 7 (honoured by the BFQ scheduler;
mq-deadline only orders by class). Where the kernel groups processes by session for
scheduling (autogroup, /proc/sys/kernel/sched_autogroup_enabled; most desktop and many
server kernels), a thread's nice value only counts inside its group, and every server hms
starts is a session of its own: so the replica's group is reniced too (/proc/PID/
autogroup), which is what weighs it against the primary's group. A member promoted to primary gets the normal
priority back (nice 0, best-effort 4) when hms may raise it (root, or CAP_SYS_NICE);
otherwise `hms replica list` shows it still lowered, and a restart with `hms replica
start` clears it. Threads the server creates later inherit the priority of the thread
that creates them, so renicing every existing thread covers the server's whole life.

Every lowered thread also gets a 0.1 ms time slice (hms/timeslice.py): lowered, a thread
gets few slices, but with the kernel's default (about 3 ms) each one it gets delays a
primary's thread that wakes meanwhile.

Its client connections (reports) go further, onto idle CPU (`idle_clients`, hms/cpu_idle.py):
they run only on CPU time no other thread wants, so the server's own threads need not be
lowered far. At nice 10 the replica's SQL thread, lowered with the rest, fell more than
1 s behind at 8 booking clients on 2 cores; at nice 5 it stayed within 0.1 s
(benchmarks/RESULTS.md, "Replication"). A semi-synchronous replica is not
lowered: the primary waits for its acknowledgement on every commit, and lowered it held
the primary's bookings back (benchmarks/RESULTS.md). Linux only; elsewhere nothing is
changed and the priority shows as unknown.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import pymysql

from .. import cpu_idle, timeslice
from ..processes import server_pid

REPLICA_NICE = 5
NICE_ENV = "HMS_REPLICA_NICE"       # 0-19: how far replicas are lowered; 0 leaves them at normal priority
NORMAL_NICE = 0
BEST_EFFORT = 2
REPLICA_IO_LEVEL = 7
NORMAL_IO_LEVEL = 4
IO_CLASSES = {0: "none", 1: "realtime", 2: "best-effort", 3: "idle"}
_IOPRIO_WHO_PROCESS = 1
_IOPRIO_CLASS_SHIFT = 13
# ioprio_set / ioprio_get have no Python binding: their syscall numbers per architecture.
_SYSCALLS = {"x86_64": (251, 252), "aarch64": (30, 31), "i686": (289, 290), "ppc64le": (273, 274)}


@dataclass(frozen=True)
class Priority:
    """A server's scheduling priority: nice value, session group's nice and I/O class/level of its main thread."""

    nice: int
    io_class: str | None = None
    io_level: int | None = None
    group_nice: int | None = None       # its autogroup's nice; None when the kernel does not group
    clients_idle: bool = False          # its client connections start on idle CPU (idle_clients)

    @property
    def lowered(self) -> bool:
        return self.nice > NORMAL_NICE and (self.group_nice is None or self.group_nice > NORMAL_NICE)

    def __str__(self) -> str:
        group = f" (group {self.group_nice})" if self.group_nice is not None and self.group_nice != self.nice else ""
        io = f", ionice {self.io_class}/{self.io_level}" if self.io_class not in (None, "none") else ""
        clients = ", clients on idle CPU" if self.clients_idle else ""
        return f"nice {self.nice}{group}{io}{clients}"


def _threads(pid: int) -> list[int]:
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return [pid]


def _autogroup(pid: int) -> Path | None:
    """/proc/PID/autogroup when the kernel schedules by session group, else None."""
    try:
        if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() != "1":
            return None
    except OSError:
        return None
    path = Path(f"/proc/{pid}/autogroup")
    return path if path.exists() else None


def group_nice(pid: int) -> int | None:
    """The nice value of process `pid`'s autogroup ("/autogroup-123 nice 10"), None when not grouped."""
    path = _autogroup(pid)
    with contextlib.suppress(OSError, ValueError, IndexError, AttributeError):
        return int(path.read_text().split("nice")[1])
    return None


def _set_group_nice(pid: int, nice: int) -> bool:
    path = _autogroup(pid)
    if path is None:
        return True
    try:
        path.write_text(str(nice))
    except PermissionError:
        return False
    except OSError:
        pass                                # the process ended meanwhile
    return True


def _ioprio(call: int, *args: int) -> int:
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        return -1
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(numbers[call], *(ctypes.c_int(a) for a in args))


def set_priority(pid: int, nice: int, io_level: int) -> bool:
    """Give every thread of process `pid` this nice value and best-effort I/O level.

    Returns False when the system refused (raising a priority needs root or CAP_SYS_NICE).
    Loops until no new thread appeared meanwhile."""
    done: set[int] = set()
    value = (BEST_EFFORT << _IOPRIO_CLASS_SHIFT) | io_level
    ok = True
    for _ in range(5):
        threads = [t for t in _threads(pid) if t not in done]
        if not threads:
            break
        for tid in threads:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
            except ProcessLookupError:
                pass                      # a thread that ended meanwhile
            except PermissionError:
                ok = False
            # A lowered thread also gives a core back within 0.1 ms (hms/timeslice.py); at nice 0
            # the kernel's own slice again.
            timeslice.set_slice(tid, timeslice.SHORT_NS if nice > NORMAL_NICE else timeslice.DEFAULT_NS, nice)
            _ioprio(0, _IOPRIO_WHO_PROCESS, tid, value)
            done.add(tid)
    return _set_group_nice(pid, nice) and ok


def replica_nice(env: dict[str, str] | None = None) -> int:
    """The nice value replicas run at: HMS_REPLICA_NICE (0-19), else REPLICA_NICE."""
    env = os.environ if env is None else env
    try:
        value = int(env.get(NICE_ENV, REPLICA_NICE))
    except ValueError:
        return REPLICA_NICE
    return value if 0 <= value <= 19 else REPLICA_NICE


def lower(pid: int) -> bool:
    """Run server `pid` as a replica: nice replica_nice(), I/O best-effort level 7 (4 at nice 0)."""
    nice = replica_nice()
    return set_priority(pid, nice, REPLICA_IO_LEVEL if nice else NORMAL_IO_LEVEL)


def restore(pid: int) -> bool:
    """Run server `pid` as a primary: nice 0, I/O best-effort level 4 (False when not permitted)."""
    return set_priority(pid, NORMAL_NICE, NORMAL_IO_LEVEL)


def of(pid: int) -> Priority | None:
    """The priority of server `pid` (its main thread), or None when it cannot be read."""
    try:
        nice = os.getpriority(os.PRIO_PROCESS, pid)
    except OSError:
        return None
    group, idle = group_nice(pid), cpu_idle.is_idle(pid)
    value = _ioprio(1, _IOPRIO_WHO_PROCESS, pid)
    if value < 0:
        return Priority(nice=nice, group_nice=group, clients_idle=idle)
    io_class = value >> _IOPRIO_CLASS_SHIFT
    level = value & ((1 << _IOPRIO_CLASS_SHIFT) - 1)
    if io_class == 0:
        # No class set: the kernel derives best-effort from the nice value, (nice + 20) / 5.
        return Priority(nice=nice, io_class="best-effort", io_level=(nice + 20) // 5, group_nice=group,
                        clients_idle=idle)
    return Priority(nice=nice, io_class=IO_CLASSES.get(io_class, str(io_class)), io_level=level, group_nice=group,
                    clients_idle=idle)


# --- a replica's client connections on idle CPU ----------------------------------------------

# PROCESSLIST commands of the server's own threads: they stay at the server's priority.
OWN_COMMANDS = frozenset({"Slave_IO", "Slave_SQL", "Slave_worker", "Binlog Dump", "Daemon"})
SYSTEM_USERS = frozenset({"system user", "event_scheduler", "unauthenticated user"})
THREADS = "SELECT USER, COMMAND, TID FROM information_schema.PROCESSLIST WHERE TID IS NOT NULL"


def _pid_of(conn) -> int | None:
    """The pid of the server behind `conn` when it runs on this machine, else None."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@pid_file")
            row = cur.fetchone()
    except pymysql.err.MySQLError:
        return None
    return server_pid(Path(row[0])) if row and row[0] else None  # the server answered: its pid file is current


def _server_threads(conn) -> list[tuple[int, bool]] | None:
    """(TID, is a client connection) of every thread in the PROCESSLIST of `conn`'s server; None on error."""
    try:
        with conn.cursor() as cur:
            cur.execute(THREADS)
            rows = cur.fetchall()
    except pymysql.err.MySQLError:
        return None
    return [(int(tid), command not in OWN_COMMANDS and user not in SYSTEM_USERS) for user, command, tid in rows]


def _home_group(pid: int) -> Path | None:
    """The cpu cgroup of the server's own threads: that of its first thread not in the idle group."""
    for tid in _threads(pid):
        if not cpu_idle.is_idle(tid):
            return cpu_idle.group_of(tid)
    return None


def idle_clients(conn, replica: bool) -> bool:
    """On a replica, put the server's client connections on idle CPU; on a primary, take them off.

    A replica's clients (an analyst's report, `hms query`) then run only on CPU time the
    primary's threads and the replica's own (the replication threads, InnoDB's) leave
    (hms/cpu_idle.py). The main thread, which starts every new connection's thread, is
    moved too, so later connections are born there; the thread cache is emptied first
    (FLUSH LOCAL THREADS: not logged), as a cached thread would serve a later connection
    from where it was made. The replication threads are kept out (started by a client's
    START SLAVE they are born in the idle group: link.start takes them out again). False
    when nothing could be done (not root, no cgroup `cpu` controller, a server elsewhere).
    """
    pid = _pid_of(conn)
    if pid is None or cpu_idle.group() is None:
        return False
    home = _home_group(pid)
    if home is None:
        return False
    if replica:
        # LOCAL: not written to the binary log, where a replica's own GTID would break it.
        with contextlib.suppress(pymysql.err.MySQLError), conn.cursor() as cur:
            cur.execute("FLUSH LOCAL THREADS")
    threads = _server_threads(conn)
    if threads is None:
        return False
    if replica:
        cpu_idle.enter_thread(pid)
    else:
        cpu_idle.leave_thread(pid, home)
    for tid, client in threads:
        if replica and client:
            cpu_idle.enter_thread(tid)
        elif cpu_idle.is_idle(tid):
            cpu_idle.leave_thread(tid, home)
    if not replica:
        for tid in _threads(pid):             # threads a client's session started meanwhile
            if cpu_idle.is_idle(tid):
                cpu_idle.leave_thread(tid, home)
    return True


def own_threads_out(conn) -> None:
    """Take the replication threads of the server behind `conn` out of the idle group, if in it.

    A `START SLAVE` runs in a client's thread on a replica, whose idle group the new
    replication threads inherit: hms's own go through link.start, which calls this, and
    `hms replica status` calls it for one typed by hand."""
    pid = _pid_of(conn)
    if pid is None or not cpu_idle.is_idle(pid):
        return
    own = [tid for tid, client in _server_threads(conn) or [] if not client and cpu_idle.is_idle(tid)]
    home = _home_group(pid) if own else None
    if home is not None:
        for tid in own:
            cpu_idle.leave_thread(tid, home)


def yields(primary: bool, semi_sync: bool) -> bool:
    """Whether a member runs lowered: a replica, unless it acknowledges the primary's commits
    (semi-sync): a starved acknowledger would hold every commit of the primary back."""
    return not primary and not semi_sync


def settle(server, replica: bool) -> bool:
    """Set `server` (an EmbeddedServer) to its role's priority; False when it is not running or refused."""
    pid = server.pid()
    if pid is None:
        return False
    return lower(pid) if replica else restore(pid)
