"""What a physical backup and a `--home` restore do to stay out of the way and finish sooner:
mariadb-backup copies with one thread at the lowest CPU priority, the content checksums are
read on a server thread lowered for them and put back afterwards (the server reuses its
threads for later clients; on a thread pool no thread is a session's, and none is lowered),
the copy of a restore is hashed where it lies and still refuses a changed file, and a
`--home --until` roll-forward's plan, made while the copy is made, stops the restore and
removes the home when it fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hms import cpu_idle, timeslice
from hms.backup import BackupError, priority
from hms.backup.first_login import INIT_NAME
from hms.backup.home_restore import restore_home
from hms.backup.physical import create_physical_backup
from hms.backup.physical_files import PRIVATE_FILE, _copy
from hms.backup.physical_restore import verify_physical
from hms.backup.point_in_time import restore_home_until
from hms.connection import connect
from tests.support import query, running_server
from tests.support.physical import needs_mariadb_backup, small_home

pytestmark = needs_mariadb_backup
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="lowering another account's thread needs root")
needs_idle_group = pytest.mark.skipif(cpu_idle.group() is None,
                                      reason="needs root and a writable cgroup file system with the cpu controller")


def thread_nices(pid: int) -> dict[int, int]:
    """{thread id: nice} of every thread of process `pid` (field 19 of /proc/PID/task/TID/stat)."""
    nices = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        nices[int(task.name)] = int(fields[16])
    return nices


@pytest.fixture(scope="module")
def made(physical_source, tmp_path_factory):
    """One full backup, and the mariadb-backup process it ran: (backups dir, key, backup, seen)."""
    directory = tmp_path_factory.mktemp("physical-priority")
    key = directory / "backup.key"
    seen = {}

    def started(proc) -> None:
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, proc.pid)
        seen["args"] = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        seen["session"] = os.getsid(proc.pid)
        seen["pid"] = proc.pid
        seen["group"] = _autogroup(f"/proc/{proc.pid}/autogroup")
        seen["idle"] = cpu_idle.is_idle(proc.pid)

    backup = create_physical_backup(physical_source, directory / "backups", key_file=key, on_started=started)
    return directory / "backups", key, backup, seen


def _autogroup(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None  # a kernel without autogroup


def test_mariadb_backup_copies_with_one_thread_at_the_lowest_priority(made):
    _, _, _, seen = made
    assert seen["nice"] == priority.NICE
    assert b"--parallel=1" in seen["args"]


def test_mariadb_backup_runs_in_a_scheduling_group_of_its_own_lowered_too(made):
    """A nice value only weighs a process against its own session's group: the tool gets a session
    whose group is at nice 19, not the one of hms (and of whatever else runs in that session)."""
    _, _, _, seen = made
    assert seen["session"] == seen["pid"]
    if seen["group"] is not None:
        assert seen["group"].endswith(f"nice {priority.NICE}")
        assert seen["group"] != _autogroup("/proc/self/autogroup")


@needs_idle_group
def test_mariadb_backup_runs_in_the_idle_cpu_group(made):
    """The tool runs only on CPU time the server's threads leave (cpu.idle), where the kernel offers it."""
    _, _, _, seen = made
    assert seen["idle"]


@needs_idle_group
def test_an_isolated_worker_is_in_the_idle_cpu_group():
    import subprocess
    import sys

    code = ("import os; from hms import cpu_idle; from hms.backup import priority; "
            "print(cpu_idle.is_idle(os.getpid())); priority.isolate(); print(cpu_idle.is_idle(os.getpid()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_an_isolated_worker_reads_and_writes_in_the_idle_io_class():
    """mq-deadline (Linux 5.14+) and bfq serve the idle class after the server's best-effort I/O."""
    import subprocess
    import sys

    code = "from hms.backup import priority; priority.isolate(); print(priority.get_priority(0)[1])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert int(out) >> priority.IOPRIO_CLASS_SHIFT == priority.IOPRIO_CLASS_IDLE


def test_an_isolated_worker_has_its_own_lowered_group_and_a_short_slice():
    """What the hashing workers of a physical backup run first (priority.isolate)."""
    import subprocess
    import sys

    code = ("import os; from hms.backup import priority; priority.isolate(); "
            "sched = [l.split()[-1] for l in open('/proc/self/sched') if l.startswith('se.slice')]; "
            "print(os.getsid(0) == os.getpid(), os.getpriority(os.PRIO_PROCESS, 0), priority.group_nice(), "
            "sched[0] if sched else None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "True"
    assert int(out[1]) == priority.NICE
    if Path("/proc/self/autogroup").exists():
        assert out[2] == str(priority.NICE)
    if out[3] != "None":  # Linux 6.12 and newer show (and honour) a thread's own slice
        assert int(out[3]) == timeslice.SHORT_NS


@needs_root
def test_a_sessions_server_thread_is_lowered_and_put_back(physical_server, physical_source):
    conn = connect(physical_source, database=None)
    try:
        lowered = priority.server_thread(conn)
        assert lowered.lowered
        tid = lowered.tid
        before = lowered.before[0]
        assert os.getpriority(os.PRIO_PROCESS, tid) == priority.NICE
        shown = timeslice.slice_of(tid) is not None  # Linux 6.12+ shows a thread's own slice
        if shown:
            assert timeslice.slice_of(tid) == timeslice.SHORT_NS
        if cpu_idle.group() is not None:
            assert cpu_idle.is_idle(tid)
        lowered.restore()
        assert os.getpriority(os.PRIO_PROCESS, tid) == before
        assert not cpu_idle.is_idle(tid)
        if shown:
            assert timeslice.slice_of(tid) != timeslice.SHORT_NS
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pooled_server():
    """A small server of its own running MariaDB's thread pool (an operator's my.cnf choice)."""
    def pooled(home):
        small_home(home)
        with open(home / "my.cnf", "a") as handle:
            handle.write("thread_handling = pool-of-threads\nthread_pool_dedicated_listener = 1\n")

    with running_server("pooled", pooled) as server:
        yield server


@needs_root
def test_on_the_thread_pool_no_thread_and_not_hms_itself_is_lowered_for_a_session(pooled_server):
    """No pool thread is a session's own (PROCESSLIST.TID is 0): lowering one would slow other
    clients' statements, and thread id 0 would name hms's own thread."""
    conn = connect(pooled_server.connection_info(), database=None)
    try:
        assert query(conn, "SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()") == [(0,)]
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        session = priority.server_thread(conn)
        assert not session.lowered
        assert priority.NICE not in thread_nices(int(pooled_server.pid_file.read_text())).values()
        assert os.getpriority(os.PRIO_PROCESS, 0) == mine
        session.restore()
    finally:
        conn.close()


@needs_root
def test_a_backup_leaves_no_server_thread_lowered_and_its_checksums_still_verify(made, physical_server,
                                                                                 physical_source):
    _, key, backup, _ = made
    pid = int(physical_server.pid_file.read_text())
    assert backup.manifest.contents_from == "snapshot"  # read in the live server, on the lowered thread
    assert priority.NICE not in thread_nices(pid).values()
    result = verify_physical(physical_source, backup.path, key_file=key)
    assert result.problems == []
    assert result.source_compared


def test_the_copy_is_hashed_as_written_and_a_changed_byte_is_seen(tmp_path):
    source = tmp_path / "source.ibd"
    source.write_bytes(os.urandom(3 << 20) + b"tail")
    target = tmp_path / "copy.ibd"
    size, sha = _copy(source, target, lambda n: None)
    import hashlib

    assert (size, sha) == (source.stat().st_size, hashlib.sha256(source.read_bytes()).hexdigest())
    assert target.stat().st_mode & 0o777 == PRIVATE_FILE
    with open(source, "r+b") as handle:
        handle.seek(1 << 20)
        handle.write(b"\x00\x01")
    _, changed = _copy(source, tmp_path / "copy2.ibd", lambda n: None)
    assert changed != sha
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert _copy(empty, tmp_path / "empty-copy", lambda n: None) == (0, hashlib.sha256(b"").hexdigest())


def test_a_home_restore_without_roll_forward_leaves_the_users_my_cnf(made, new_home):
    _, key, backup, _ = made
    restore_home(backup.path, new_home, key_file=key, profile="test")
    config = (new_home / "my.cnf").read_text()
    assert "innodb_buffer_pool_size" not in config and "init-file" not in config
    assert not (new_home / "tmp" / INIT_NAME).exists()


def test_home_until_a_plan_that_fails_stops_the_restore_and_removes_the_home(made, physical_source, new_home):
    backups, key, backup, _ = made
    domain, server_id, seq = backup.manifest.binlog["gtid"].split(",")[0].split("-")
    beyond = f"{domain}-{server_id}-{int(seq) + 1_000_000}"
    with pytest.raises(BackupError, match="is not in the binary log yet"):
        restore_home_until(physical_source, backup.path, new_home, until_gtid=beyond, backup_dir=backups,
                           key_file=key, profile="test")
    assert not new_home.exists()
