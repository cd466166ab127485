"""A restore killed mid-way leaves a mark: `hms db status`, `hms backup list` and the DB Tools
page say "restore in progress" while it runs and "restore interrupted" once it is gone, and
running the same restore again drops the half-restored database first.

The restore is a real `hms backup restore` process: paused (SIGSTOP) once it has restored
part of the backup, then killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hms.backup import contents, create_backup, restore_backup
from hms.backup.errors import BackupError
from hms.backup.in_progress import MARKER_TABLE, restores_on
from hms.connection import connect
from tests.support import ROOT, query
from tests.support.backups import run_cli
from tests.support.databases import describe


def tables(server_info, database: str) -> set[str]:
    conn = connect(server_info, database=None)
    try:
        return {row[0] for row in query(conn, "SELECT TABLE_NAME FROM information_schema.TABLES "
                                              "WHERE TABLE_SCHEMA = %s", (database,))}
    finally:
        conn.close()


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def gone(pid: int) -> bool:
    """True when process `pid` has ended (a zombie counts: it runs no more)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def restore_process(source, tmp_path):
    """Start `hms backup restore` of a fresh backup of `source` into a target; yield (start, backup)."""
    made = create_backup(source, tmp_path)
    started: list[subprocess.Popen] = []

    def start(into: str) -> subprocess.Popen:
        env = {**os.environ, "HMS_DATABASE_URL": source.url(hide_password=False), "HMS_BACKUP_DIR": str(tmp_path)}
        proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--quiet", "backup", "restore",
                                 str(made.path), "--into", into], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(proc)
        return proc

    yield start, made
    for proc in started:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def pause_mid_way(server_info, proc: subprocess.Popen, into: str) -> None:
    """SIGSTOP `proc` once it has marked `into` and restored a first table into it."""
    deadline = time.monotonic() + 60
    while not (MARKER_TABLE in (found := tables(server_info, into)) and len(found) >= 2):
        assert proc.poll() is None and time.monotonic() < deadline, "the restore never got going"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGSTOP)


def test_a_killed_restore_is_marked_shown_everywhere_and_cleaned_by_the_retry(
        server_info, source, target, tmp_path, restore_process, app, auth):
    start, made = restore_process
    proc = start(target)
    pause_mid_way(server_info, proc, target)
    client_tools = children(proc.pid)  # the mariadb client replaying the dump

    status = run_cli(source.with_database(target), tmp_path, "db", "status")
    assert f"restore in progress into '{target}' from {made.path}, since " in status.stderr
    listing = run_cli(source, tmp_path, "backup", "list")
    assert f"restore in progress into '{target}'" in listing.stderr
    with pytest.raises(BackupError, match=f"another restore into '{target}' is running"):
        restore_backup(server_info, made.path, target)

    os.kill(proc.pid, signal.SIGKILL)  # kill -9, mid-way
    proc.wait()
    deadline = time.monotonic() + 60
    while not all(gone(pid) for pid in client_tools):  # it drains what it was sent, then sees the end
        assert time.monotonic() < deadline
        time.sleep(0.05)

    left = tables(server_info, target)
    assert MARKER_TABLE in left and len(left) - 1 < len(made.manifest.tables)  # part of the backup
    (mark,) = restores_on(server_info, target)
    assert not mark.running and mark.backup == str(made.path)

    status = run_cli(source.with_database(target), tmp_path, "db", "status")
    assert status.exit_code == 0
    assert f"restore interrupted into '{target}' from {made.path}, started " in status.stderr
    assert f"`hms backup restore {made.path} --into {target}` again" in status.stderr
    listing = run_cli(source, tmp_path, "backup", "list")
    assert f"restore interrupted into '{target}'" in listing.stderr
    page = auth.client.get("/db-tools/").get_data(as_text=True)
    assert "restore interrupted" in page and f"into &#39;{target}&#39;" in page

    retry = run_cli(source, tmp_path, "backup", "restore", str(made.path), "--into", target)
    assert retry.exit_code == 0, retry.output
    assert f"dropped the half-restored '{target}' left by the restore of {made.path} interrupted since " \
        in retry.output
    assert MARKER_TABLE not in tables(server_info, target)
    assert contents.compare("copy", describe(server_info, target), "source", describe(server_info, source.database)) == []
    assert restores_on(server_info, target) == []
    assert "restore" not in run_cli(source.with_database(target), tmp_path, "db", "status").stderr


def test_a_finished_restore_leaves_no_mark(server_info, source, target, tmp_path):
    made = create_backup(source, tmp_path)
    result = restore_backup(server_info, made.path, target)
    assert result.cleaned is None
    assert MARKER_TABLE not in tables(server_info, target)
    assert all(mark.database != target for mark in restores_on(server_info))

