"""`hms backup restore PATH --home DIR`: a physical backup chain becomes a whole new server home
that `HMS_HOME=DIR hms server start` runs and serves, as the unprivileged server account, with an
administrative login of its own; a non-empty DIR is refused and a failure leaves nothing.
Also the seams the point-in-time roll-forward plugs into."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pymysql
import pytest

from hms.backup import BackupError
from hms.backup.home_restore import restore_home
from hms.backup.physical import create_physical_backup
from hms.backup.physical_restore import restore_physical_into
from hms.backup.signing import KEY_NAME
from hms.connection import connect
from hms.server import EmbeddedServer
from hms.server.runas import server_account
from tests.support import query
from tests.support.databases import drop_database
from tests.support.physical import (
    DATABASE,
    add_patients,
    add_small_settings,
    data_file,
    hms,
    needs_mariadb_backup,
    patients_named,
    scratch_leftovers,
)

pytestmark = needs_mariadb_backup


@pytest.fixture(scope="module")
def chain(physical_source, tmp_path_factory):
    """A full backup, rows written, then an incremental: (backups dir, key, full, incremental)."""
    directory = tmp_path_factory.mktemp("physical-home")
    key = directory / "backup.key"
    full = create_physical_backup(physical_source, directory / "backups", key_file=key)
    add_patients(physical_source, "home-inc", count=4)
    inc = create_physical_backup(physical_source, directory / "backups", incremental=True, key_file=key)
    return directory / "backups", key, full, inc


def binlog_bytes(home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted((home / "binlog").glob("hms-bin.0*")))


def test_restored_home_starts_serves_and_runs_as_the_server_account(chain, new_home, physical_server):
    backups, key, full, inc = chain
    result = restore_home(inc.path, new_home, key_file=key, profile="test")
    assert [b.name for b in result.chain] == [full.name, inc.name]
    server = EmbeddedServer(new_home)
    assert not server.pid_file.exists()  # restored, then stopped: the user starts it
    assert not list((new_home / "tmp").iterdir())  # the first-login file is gone
    assert stat.S_IMODE(server.client_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((new_home / KEY_NAME).stat().st_mode) == 0o600
    assert (new_home / KEY_NAME).read_bytes() == key.read_bytes()  # it trusts the same backups
    assert "init-file" not in server.config_file.read_text()

    add_small_settings(new_home)
    started = hms(new_home, "server", "start")
    assert started.returncode == 0, started.stderr
    try:
        info = server.connection_info()
        assert info.password != physical_server.connection_info().password
        assert patients_named(info, DATABASE, "home-inc") == 4
        conn = connect(info, database=DATABASE)
        try:
            counts = {t: query(conn, f"SELECT COUNT(*) FROM `{t}`")[0][0] for t in inc.manifest.tables}
            gtid = query(conn, "SELECT @@gtid_binlog_pos")[0][0]
        finally:
            conn.close()
        assert counts == inc.manifest.tables
        assert gtid == inc.manifest.binlog["gtid"]  # the new binary log continues the backup's GTIDs
        pid = int(server.pid_file.read_text())
        owner = pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
        assert owner == server_account().pw_name
        if os.geteuid() == 0:
            assert owner != "root" and pwd.getpwuid((new_home / "data").stat().st_uid).pw_name == owner
        # The source's administrative password does not open the restored server.
        with pytest.raises(pymysql.err.OperationalError):
            pymysql.connect(user="root", password=physical_server.connection_info().password,
                            unix_socket=info.unix_socket).close()
        # Neither the new password nor its hash is in the new binary log.
        assert info.password.encode() not in binlog_bytes(new_home)
        assert b"IDENTIFIED" not in binlog_bytes(new_home)
    finally:
        assert hms(new_home, "server", "stop").returncode == 0


def test_a_non_empty_directory_is_refused_and_left_as_it_was(chain, new_home):
    backups, key, full, inc = chain
    new_home.mkdir()
    (new_home / "notes.txt").write_text("mine")
    with pytest.raises(BackupError, match="is not empty"):
        restore_home(full.path, new_home, key_file=key, profile="test")
    assert [p.name for p in new_home.iterdir()] == ["notes.txt"]


def test_a_corrupted_backup_leaves_no_home(chain, new_home, tmp_path):
    backups, key, full, inc = chain
    import shutil

    shutil.copytree(backups, tmp_path / "backups")
    damaged = tmp_path / "backups" / full.name
    with open(data_file(damaged, "patient"), "r+b") as handle:
        handle.seek(100)
        handle.write(b"\xff")
    with pytest.raises(BackupError, match="does not match its manifest's sha256"):
        restore_home(damaged, new_home, key_file=key, profile="test")
    assert not new_home.exists()
    new_home.mkdir()  # an empty directory given: left empty
    with pytest.raises(BackupError, match="does not match its manifest's sha256"):
        restore_home(damaged, new_home, key_file=key, profile="test")
    assert list(new_home.iterdir()) == []


def test_a_failing_roll_forward_stops_the_new_server_and_removes_the_home(chain, new_home):
    backups, key, full, inc = chain
    seen = {}

    def roll_forward(server, coordinates):
        seen["coordinates"] = coordinates
        seen["pid"] = int(server.pid_file.read_text())
        conn = connect(server.connection_info(), database=None)
        try:
            seen["patients"] = query(conn, f"SELECT COUNT(*) FROM `{DATABASE}`.patient")[0][0]
        finally:
            conn.close()
        raise BackupError("the binary log needed is missing", "Give it")

    with pytest.raises(BackupError, match="the binary log needed is missing"):
        restore_home(inc.path, new_home, key_file=key, profile="test", roll_forward=roll_forward)
    assert seen["coordinates"] == inc.manifest.binlog
    assert seen["patients"] == inc.manifest.tables["patient"]
    assert not os.path.exists(f"/proc/{seen['pid']}")
    assert not new_home.exists()


def test_before_copy_runs_on_the_scratch_server_with_the_backups_coordinates(chain, physical_server):
    backups, key, full, inc = chain
    live = physical_server.connection_info()
    into = f"hms_phys_hook_{os.getpid()}"
    seen = {}

    def before_copy(scratch, coordinates):
        seen["coordinates"] = coordinates
        conn = connect(scratch, database=DATABASE)
        try:
            seen["port"] = query(conn, "SELECT @@port")[0][0]
            seen["log_bin"] = query(conn, "SELECT @@log_bin")[0][0]
            with conn.cursor() as cur:  # what a roll-forward does: change the copy before it is copied
                cur.execute("UPDATE patient SET city = 'Rolled' WHERE first_name = 'home-inc'")
        finally:
            conn.close()

    try:
        restore_physical_into(live, inc.path, into, key_file=key, before_copy=before_copy)
        assert seen["coordinates"] == inc.manifest.binlog
        assert seen["port"] != live.port and seen["log_bin"] == 0
        conn = connect(live, database=into)
        try:
            assert query(conn, "SELECT COUNT(*) FROM patient WHERE city = 'Rolled'")[0][0] == 4
        finally:
            conn.close()
        conn = connect(live, database=DATABASE)
        try:
            assert query(conn, "SELECT COUNT(*) FROM patient WHERE city = 'Rolled'")[0][0] == 0
        finally:
            conn.close()
    finally:
        drop_database(live, into)
    assert scratch_leftovers() == []


def test_cli_restore_home_and_its_usage_errors(chain, new_home, tmp_path):
    backups, key, full, inc = chain
    home = tmp_path / "cli-home"  # only its backup.key is used here
    home.mkdir()
    (home / KEY_NAME).write_bytes(key.read_bytes())
    os.chmod(home / KEY_NAME, 0o600)
    both = hms(home, "backup", "restore", str(inc.path), "--into", "x", "--home", str(new_home))
    assert both.returncode == 2 and "exactly one of --into NAME and --home DIR" in both.stderr
    logical = tmp_path / "hms_20240101T000000.000Z.sql.gz"
    logical.write_bytes(b"")
    wrong = hms(home, "backup", "restore", str(logical), "--home", str(new_home))
    assert wrong.returncode == 2 and "--home needs a physical backup" in wrong.stderr
    until = hms(home, "backup", "restore", str(inc.path), "--home", str(new_home), "--until", "2030-01-01 00:00:00")
    # No server answers in this home and no archive holds the logs: refused before the home is made.
    assert until.returncode == 1 and "rolling forward from the archived binary logs alone" in until.stderr
    assert "Error: the binary log file" in until.stderr and "Traceback" not in until.stderr
    until = hms(home, "backup", "restore", str(inc.path), "--into", "hms_x", "--until-gtid", "0-1-1")
    assert until.returncode == 1 and "Error:" in until.stderr and "Traceback" not in until.stderr
    assert not new_home.exists()
    done = hms(home, "--quiet", "backup", "restore", str(inc.path), "--home", str(new_home))
    assert done.returncode == 0, done.stderr
    assert f"(full + 1 incremental) into a new server home {new_home}" in done.stdout
    assert f"HMS_HOME={new_home} hms server start" in done.stdout
    assert EmbeddedServer(new_home).initialised and not EmbeddedServer(new_home).pid_file.exists()
    again = hms(home, "backup", "restore", str(inc.path), "--home", str(new_home))
    assert again.returncode == 1 and again.stderr.strip().splitlines() == [
        f"Error: {new_home} is not empty. Restore into a new or empty directory: a server home is never "
        "restored over another one."]
