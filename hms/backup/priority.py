"""Low priority for a backup's own work, so a live workload keeps the CPU and the disk first.

A physical backup competes with the server's clients on few cores: mariadb-backup's
copy, hashing every copied file, and reading every row for the content checksums. Each
of them runs at the lowest CPU priority (nice 19) and in the idle I/O class (what
`ionice -c 3` sets: bfq and mq-deadline, Linux 5.14+, dispatch its requests after every
other class's, mq-deadline at the latest after `prio_aging_expire`, 10 s by default, so
it is never starved; writeback of the copy's written pages is the kernel's, not covered).
The server thread stays in the lowest best-effort level: in the idle class a page read
could wait seconds while the thread holds a latch one of the clients needs.

A nice value alone is not enough. Where the kernel groups processes by session for
scheduling (autogroup, /proc/sys/kernel/sched_autogroup_enabled), a thread's nice value
only weighs it against the threads of its own session, and the server is a session of
its own: a hashing thread at nice 19 still took half the cores from the server's
bookings. And with the kernel's default time slice (about 3 ms), even a process that
gets little CPU holds a core for whole slices, which a booking waiting for that core
feels at p99. So the backup's own processes are isolated (`isolate()`): a session of
their own, whose group is lowered to nice 19 too, and a 0.1 ms slice (hms/timeslice.py).
Measured at scale 1.0 (benchmarks/RESULTS.md): a CPU burner at nice 19 in the clients'
session took booking p99 at 4 clients from 3.9 to 7-9 ms and a third of their
throughput; in a session of its own at nice 19 and the short slice, 5.0 ms and no
throughput lost. Where the kernel allows it (root, the cgroup `cpu` controller), the
backup's processes and the server thread also run in the idle CPU group (hms/cpu_idle.py):
scheduled only on CPU time the server's other threads leave.

- `in_child()`: a tool's process, from its preexec hook (mariadb-backup): isolated;
- `isolate()`: the same for a worker process of hms's own (the hashing workers);
- `server_thread()`: the server thread serving one connection (MariaDB's
  PROCESSLIST.TID), lowered (with the short slice) for the session's reads and put back
  before it is closed,
  because the server keeps finished threads to serve later connections. Only root does
  this: putting a priority back up needs root, and a thread left low would serve some
  later client slowly. Not root (or MySQL, which has no TID): the reads run at normal
  priority, slower for the workload but as correct.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from pathlib import Path

import pymysql

from .. import cpu_idle, timeslice

NICE = 19
IOPRIO_WHO_PROCESS, IOPRIO_CLASS_SHIFT = 1, 13
IOPRIO_CLASS_BE, IOPRIO_LOWEST_BE, IOPRIO_CLASS_IDLE = 2, 7, 3
_IOPRIO_SET = {"x86_64": 251, "aarch64": 30}.get(os.uname().machine)
_IOPRIO_GET = {"x86_64": 252, "aarch64": 31}.get(os.uname().machine)
AUTOGROUP = "/proc/self/autogroup"
THREAD_ID = "SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()"


def set_priority(tid: int, nice: int, ioprio: int | None) -> bool:
    """Set thread `tid`'s (0: the caller's) CPU and I/O priority; False when not allowed."""
    try:
        os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError:
        return False
    if ioprio is not None and _IOPRIO_SET is not None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).syscall(_IOPRIO_SET, IOPRIO_WHO_PROCESS, tid, ioprio)
    return True


def get_priority(tid: int) -> tuple[int, int | None]:
    """Thread `tid`'s (nice, raw I/O priority or None)."""
    nice = os.getpriority(os.PRIO_PROCESS, tid)
    ioprio = None
    if _IOPRIO_GET is not None:
        with contextlib.suppress(OSError, AttributeError):
            value = ctypes.CDLL(None, use_errno=True).syscall(_IOPRIO_GET, IOPRIO_WHO_PROCESS, tid)
            ioprio = value if value >= 0 else None
    return nice, ioprio


LOW_IO = IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT   # the idle I/O class: served after everyone else's
# A server thread stays best-effort: in the idle class a page read could wait seconds while the
# thread holds a latch a client needs.
LOW_IO_THREAD = (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | IOPRIO_LOWEST_BE


def in_child() -> None:
    """In a tool's child process (a preexec hook): isolated, at the lowest CPU and I/O priority."""
    isolate()


def isolate() -> None:
    """This process: a session and scheduling group of its own at nice 19, a short time slice, lowest I/O.

    Each step is best effort (not Linux, no autogroup, an older kernel): what cannot be
    set leaves the process at the priority it had, never failing the backup.
    """
    with contextlib.suppress(OSError):
        os.setsid()  # fails only for a process that already leads its group: it keeps its session
    with contextlib.suppress(OSError):
        with open(AUTOGROUP, "w") as group:
            group.write(str(NICE))
    set_priority(0, NICE, LOW_IO)
    timeslice.set_slice(0, timeslice.SHORT_NS, NICE)
    cpu_idle.enter_process(0)


def group_nice() -> int | None:
    """The nice value of this process's scheduling group (autogroup), None without one."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path(AUTOGROUP).read_text().split("nice")[1])
    return None


class ServerThread:
    """The server thread of one connection, lowered until `restore()`."""

    def __init__(self, conn):
        self.tid: int | None = None
        self.before: tuple[int, int | None] | None = None
        self.group: Path | None = None    # the cpu cgroup it was in, when moved into the idle one
        if os.geteuid() != 0:
            return  # only root can put the thread's priority back afterwards
        try:
            with conn.cursor() as cur:
                cur.execute(THREAD_ID)
                row = cur.fetchone()
        except pymysql.err.MySQLError:
            return  # a server without PROCESSLIST.TID (MySQL): normal priority
        if not row or not row[0]:
            return
        tid = int(row[0])
        try:
            before = get_priority(tid)
        except OSError:
            return  # another machine's server, or not visible to this user
        if set_priority(tid, NICE, LOW_IO_THREAD):
            timeslice.set_slice(tid, timeslice.SHORT_NS, NICE)
            self.tid, self.before = tid, before
            self.group = cpu_idle.enter_thread(tid)

    @property
    def lowered(self) -> bool:
        return self.tid is not None

    def restore(self) -> None:
        if self.tid is not None and self.before is not None:
            if self.group is not None:
                cpu_idle.leave_thread(self.tid, self.group)
            _restore(self.tid, self.before)
            self.tid = self.group = None


def server_thread(conn) -> ServerThread:
    """Lower the server thread serving `conn`; call `.restore()` before closing `conn`."""
    return ServerThread(conn)


def _restore(tid: int, before: tuple[int, int | None]) -> None:
    nice, ioprio = before
    timeslice.set_slice(tid, timeslice.DEFAULT_NS, nice)
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, tid, nice)
    if ioprio is not None and _IOPRIO_SET is not None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).syscall(_IOPRIO_SET, IOPRIO_WHO_PROCESS, tid, ioprio)
