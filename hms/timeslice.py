"""A thread's CPU time slice: how long a lowered thread may hold a core once it has one.

Linux's scheduler (EEVDF, 6.6 and newer) lets a thread keep a core for a whole slice
(about 3 ms by default) before a waiting thread of more weight gets it. A job lowered to
nice 19 gets few slices, but each one it gets delays whatever wakes meanwhile: measured at
scale 1.0 on 2 cores, a nice-19 CPU burner in a session of its own still took booking p99
from 3.9 to 8 ms; with a 0.1 ms slice, 5.0 ms (benchmarks/RESULTS.md). Since Linux 6.12 a
thread may ask for its own slice (sched_setattr's sched_runtime, for SCHED_OTHER threads);
older kernels accept the call and keep their default, other systems are left alone.

Used for the work hms runs beside a live workload: a physical backup's processes
(hms/backup/priority.py) and the replicas' servers (hms/replication/priority.py).
"""

from __future__ import annotations

import ctypes
import os
import struct

SHORT_NS = 100_000  # 0.1 ms: a lowered thread gives a core back within 0.1 ms
DEFAULT_NS = 0      # the kernel's own slice
_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}.get(os.uname().machine)


def set_slice(tid: int, nanoseconds: int, nice: int) -> bool:
    """Give thread `tid` (0: the caller) nice `nice` and a time slice of `nanoseconds` (0: the default).

    False when not set (not Linux, a thread that ended, or not permitted: raising a
    priority back needs root or CAP_SYS_NICE)."""
    if _SCHED_SETATTR is None:
        return False
    # struct sched_attr, first version (56 bytes): size, policy (SCHED_OTHER), flags, nice,
    # priority, runtime (the slice, for SCHED_OTHER), deadline, period, util_min, util_max.
    attr = ctypes.create_string_buffer(struct.pack("IIQiIQQQII", 56, 0, 0, nice, 0, nanoseconds, 0, 0, 0, 0))
    try:
        return ctypes.CDLL(None, use_errno=True).syscall(_SCHED_SETATTR, tid, attr, 0) == 0
    except (OSError, AttributeError):
        return False


def slice_of(tid: int) -> int | None:
    """Thread `tid`'s slice in nanoseconds as /proc shows it (Linux 6.12+), None where it does not."""
    try:
        with open(f"/proc/{tid}/sched") as sched:
            for line in sched:
                if line.startswith("se.slice"):
                    return int(line.split(":")[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
