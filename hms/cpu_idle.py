"""The idle CPU group: threads that run only on CPU time no other thread wants.

A nice value and a short time slice (hms/timeslice.py) make a background job yield, but
only in proportion: at nice 19 it still gets a small share of each contended core, and
when a busy thread wakes it may wait for the job's current slice. Linux's `cpu` cgroup
controller has a stronger setting, `cpu.idle` (Linux 5.15+): the group's threads are
scheduled as SCHED_IDLE against every other group, so a normal thread that wakes takes
the core at once and the group runs on what is left.

hms keeps one such group, `hms-idle`, at the root of the `cpu` hierarchy (cgroup v1's
`cpu` controller, whose threads can be moved one by one; or cgroup v2's, whole processes
only), and moves into it the work it runs beside a live workload: a physical backup's
processes (`enter_process`) and the server thread reading its checksums (`enter_thread`,
hms/backup/priority.py), and a replica's client connections (hms/replication/priority.py).
Moving needs root and a writable cgroup file system; where either is missing the calls
return None and the work keeps its nice value and slice.

A server thread is moved back to the group it came from (`leave_thread`) once its work is
done: the server keeps it to serve later connections, which must not run in the idle group.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

GROUP = "hms-idle"
MOUNTS = "/proc/self/mounts"


@functools.cache
def _hierarchy() -> tuple[Path, bool] | None:
    """(mount point, per_thread) of the cgroup hierarchy holding the `cpu` controller, or None.

    Read once per process: the loops over a server's threads ask for every thread."""
    try:
        lines = Path(MOUNTS).read_text().splitlines()
    except OSError:
        return None
    unified = None
    for line in lines:
        fields = line.split()
        if len(fields) < 4:
            continue
        mount, fstype, options = Path(fields[1]), fields[2], fields[3].split(",")
        if fstype == "cgroup" and "cpu" in options:
            return mount, True
        if fstype == "cgroup2" and unified is None:
            with contextlib.suppress(OSError):
                if "cpu" in (mount / "cgroup.controllers").read_text().split():
                    unified = mount
    return (unified, False) if unified is not None else None


def group() -> Path | None:
    """The idle group's directory, created with cpu.idle = 1 on first use; None where it cannot be."""
    if os.geteuid() != 0:
        return None
    found = _hierarchy()
    if found is None:
        return None
    path = found[0] / GROUP
    try:
        path.mkdir(mode=0o755, exist_ok=True)
        idle = path / "cpu.idle"
        if idle.read_text().strip() != "1":
            idle.write_text("1")
    except OSError:
        return None
    return path


def _cgroup_of(tid: int, mount: Path, per_thread: bool) -> Path | None:
    """The directory of the cpu cgroup thread `tid` is in now."""
    try:
        lines = Path(f"/proc/{tid}/cgroup").read_text()  # /proc/TID: that thread's own, not its process's
    except OSError:
        return None
    for line in lines.splitlines():
        _, controllers, relative = line.split(":", 2)
        if (per_thread and "cpu" in controllers.split(",")) or (not per_thread and controllers == ""):
            return mount / relative.lstrip("/")
    return None


def _write(directory: Path, name: str, tid: int) -> bool:
    try:
        (directory / name).write_text(str(tid))
    except OSError:
        return False
    return True


def enter_process(pid: int = 0) -> Path | None:
    """Move process `pid` (0: this one), every thread of it, into the idle group.

    Returns the group it was in; None when it was not moved. Threads it starts later are
    born in the group."""
    return _enter(pid or os.getpid(), "cgroup.procs")


def enter_thread(tid: int) -> Path | None:
    """Move the one thread `tid` of another process into the idle group (cgroup v1 only).

    Returns the group it was in, for `leave_thread`; None when it was not moved (cgroup v2
    moves whole processes only)."""
    return _enter(tid, "tasks")


def _enter(tid: int, file: str) -> Path | None:
    """Write `tid` into the idle group's `file` (cgroup.procs: a whole process; tasks: one thread,
    cgroup v1 only); return the group it was in, None when it was not moved."""
    target, found = group(), _hierarchy()
    if target is None or found is None or (file == "tasks" and not found[1]):
        return None
    before = _cgroup_of(tid, *found)
    if before is None or before == target:
        return before
    return before if _write(target, file, tid) else None


def leave_thread(tid: int, before: Path) -> bool:
    """Move thread `tid` back into `before` (what `enter_thread` returned); False when it could not be."""
    return _write(before, "tasks", tid)


def group_of(tid: int) -> Path | None:
    """The directory of the cpu cgroup thread `tid` is in, None where there is none to read."""
    found = _hierarchy()
    return _cgroup_of(tid, *found) if found is not None else None


def is_idle(tid: int) -> bool:
    """True when thread `tid` is in the idle group."""
    found = _hierarchy()
    if found is None:
        return False
    return _cgroup_of(tid, *found) == found[0] / GROUP
