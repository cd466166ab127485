"""hms/replication/priority.py on a real process of its own session (as hms starts servers):
lowered and restored on every thread and on its session group, and the HMS_REPLICA_NICE knob."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hms import timeslice
from hms.replication import priority
from hms.server import EmbeddedServer

# A child with a few threads, in a session of its own like every server hms starts.
THREADED = ("import threading, time\n"
            "for _ in range(3): threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
            "print('ready', flush=True); time.sleep(60)\n")


@pytest.fixture
def child():
    process = subprocess.Popen([sys.executable, "-c", THREADED], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        yield process.pid
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


def _grouped() -> bool:
    with open("/proc/sys/kernel/sched_autogroup_enabled") as enabled:
        return enabled.read().strip() == "1"


def test_lower_and_restore_every_thread_and_the_session_group(child):
    assert priority.lower(child)
    threads = [int(t) for t in os.listdir(f"/proc/{child}/task")]
    assert len(threads) == 4
    nice = priority.REPLICA_NICE
    assert {os.getpriority(os.PRIO_PROCESS, t) for t in threads} == {nice}
    shown = priority.of(child)
    assert (shown.nice, shown.io_class, shown.io_level) == (nice, "best-effort", 7)
    assert shown.group_nice == (nice if _grouped() else None)
    assert str(shown) == f"nice {nice}, ionice best-effort/7" and shown.lowered
    if timeslice.slice_of(child) is not None:    # Linux 6.12+ shows (and honours) a thread's own slice
        assert {timeslice.slice_of(t) for t in threads} == {timeslice.SHORT_NS}
    if os.geteuid() == 0:    # raising a priority back needs root (or CAP_SYS_NICE)
        assert priority.restore(child)
        assert {os.getpriority(os.PRIO_PROCESS, t) for t in threads} == {0}
        if timeslice.slice_of(child) is not None:
            assert all(timeslice.slice_of(t) != timeslice.SHORT_NS for t in threads)
        assert str(priority.of(child)) == "nice 0, ionice best-effort/4" and not priority.of(child).lowered


def test_the_nice_value_comes_from_hms_replica_nice():
    assert priority.replica_nice({}) == priority.REPLICA_NICE == 5
    assert priority.replica_nice({"HMS_REPLICA_NICE": "10"}) == 10
    assert priority.replica_nice({"HMS_REPLICA_NICE": "0"}) == 0
    for bad in ("19x", "-1", "20", ""):
        assert priority.replica_nice({"HMS_REPLICA_NICE": bad}) == priority.REPLICA_NICE


def test_a_process_that_is_gone_is_neither_changed_nor_shown(tmp_path):
    (tmp_path / "mysqld.pid").write_text("999999999\n")
    assert EmbeddedServer(tmp_path).pid() is None
    assert not priority.settle(EmbeddedServer(tmp_path), replica=True)
    assert priority.of(999999999) is None


def test_a_stale_pid_file_naming_another_process_leaves_that_process_alone(tmp_path):
    """A killed server's pid file may name a process that took its number since: not reniced."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "mysqld.pid").write_text(f"{other.pid}\n")
        before = str(priority.of(other.pid))
        assert not priority.settle(EmbeddedServer(tmp_path), replica=True)
        assert str(priority.of(other.pid)) == before and not priority.of(other.pid).lowered
    finally:
        other.kill()
        other.wait()
