"""Physical backups (mariadb-backup): full and incremental chains that restore to exactly what
they recorded, made consistent, private, signed and atomic, through an account that holds only
what the tool needs; and a plain one-line error where no physical backup can be made.

They run against a server of their own (tests/support/physical.py) holding one small database.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import threading
import time

import pytest

from hms import dialect as dialects
from hms.backup import BackupError, contents, signing
from hms.backup.backup_account import ACCOUNT
from hms.backup.manifest import (
    PARTIAL_PREFIX,
    PHYSICAL_DATA,
    PHYSICAL_MANIFEST,
    list_backups,
)
from hms.backup.physical import OWNER_FILE, _readable, create_physical_backup
from hms.backup.physical_files import digest_tree, list_digest
from hms.backup.physical_restore import restore_physical_into, verify_physical
from hms.connection import connect
from tests.support import query
from tests.support.backups import run_cli
from tests.support.databases import describe, drop_database
from tests.support.physical import (
    DATABASE,
    add_patients,
    data_file,
    needs_mariadb_backup,
    patients_named,
    scratch_leftovers,
)

pytestmark = needs_mariadb_backup


@pytest.fixture
def key(tmp_path):
    return tmp_path / "backup.key"


@pytest.fixture
def into(physical_server):
    """A database name to restore into on the physical tests' server; dropped afterwards."""
    name = f"hms_phys_into_{os.getpid()}"
    yield name
    drop_database(physical_server.connection_info(), name)


def restored_describe(physical_server, name: str) -> dict:
    return describe(physical_server.connection_info(), name)


# -- round trip ---------------------------------------------------------------

def test_full_and_incremental_chain_restores_rows_written_between_backups(physical_server, physical_source, into,
                                                                          tmp_path, key):
    backups = tmp_path / "backups"
    full = create_physical_backup(physical_source, backups, key_file=key)
    add_patients(physical_source, "between-full-and-inc1")
    inc1 = create_physical_backup(physical_source, backups, incremental=True, key_file=key)
    add_patients(physical_source, "between-inc1-and-inc2", count=3)
    inc2 = create_physical_backup(physical_source, backups, incremental=True, key_file=key)
    add_patients(physical_source, "after-inc2")

    assert full.manifest.chain["type"] == "full" and full.manifest.chain["parent"] is None
    assert inc1.manifest.chain == {**inc1.manifest.chain, "type": "incremental", "parent": full.name,
                                   "from_lsn": full.manifest.chain["to_lsn"]}
    assert inc2.manifest.chain["parent"] == inc1.name
    assert inc2.manifest.chain["from_lsn"] == inc1.manifest.chain["to_lsn"]
    assert inc1.manifest.bytes < full.manifest.bytes  # only the changed pages

    restore_physical_into(physical_server.connection_info(), inc2.path, into, key_file=key)
    assert patients_named(physical_source, into, "between-full-and-inc1") == 5
    assert patients_named(physical_source, into, "between-inc1-and-inc2") == 3
    assert patients_named(physical_source, into, "after-inc2") == 0
    copy = restored_describe(physical_server, into)
    recorded = {"tables": inc2.manifest.tables, "checksums": inc2.manifest.checksums,
                "objects": inc2.manifest.objects}
    assert contents.compare("the copy", copy, "the manifest", recorded) == []
    assert patients_named(physical_source, DATABASE, "after-inc2") == 5  # the live database untouched
    assert scratch_leftovers() == []


def test_restore_from_the_middle_of_a_chain_stops_there(physical_server, physical_source, into, tmp_path, key):
    backups = tmp_path / "backups"
    create_physical_backup(physical_source, backups, key_file=key)
    add_patients(physical_source, "in-inc1")
    inc1 = create_physical_backup(physical_source, backups, incremental=True, key_file=key)
    add_patients(physical_source, "in-inc2")
    create_physical_backup(physical_source, backups, incremental=True, key_file=key)
    restore_physical_into(physical_server.connection_info(), inc1.path, into, key_file=key)
    assert patients_named(physical_source, into, "in-inc1") == 5
    assert patients_named(physical_source, into, "in-inc2") == 0


def test_verify_passes_and_compares_with_the_live_database(physical_server, physical_source, tmp_path, key):
    made = create_physical_backup(physical_source, tmp_path, key_file=key)
    result = verify_physical(physical_server.connection_info(), made.path, key_file=key)
    assert result.ok and result.source_compared, result.problems
    add_patients(physical_source, "after-verify-backup", count=1)
    later = verify_physical(physical_server.connection_info(), made.path, key_file=key)
    assert any("table patient" in line and "the live database" in line for line in later.problems)
    assert verify_physical(None, made.path, key_file=key).ok  # --no-source: the backup alone
    assert scratch_leftovers() == []


def test_verify_names_a_signed_manifest_that_differs_from_the_data(physical_source, tmp_path, key):
    made = create_physical_backup(physical_source, tmp_path, key_file=key)
    mpath = made.path / PHYSICAL_MANIFEST
    data = json.loads(mpath.read_text())
    data["tables"]["patient"] += 1
    mpath.write_text(json.dumps(signing.sign(data, signing.load_key(key))))
    result = verify_physical(None, made.path, key_file=key)
    assert [line for line in result.problems if "table patient" in line and "rows" in line], result.problems


# -- consistent, recorded ------------------------------------------------------

def test_contents_read_in_the_snapshot_equal_those_of_a_prepared_copy(physical_source, tmp_path, key):
    snapshot = create_physical_backup(physical_source, tmp_path / "a", key_file=key)
    copied = create_physical_backup(physical_source, tmp_path / "b", key_file=key, snapshot_contents=False)
    assert snapshot.manifest.contents_from == "snapshot"  # an idle server: the snapshot is proven at once
    assert copied.manifest.contents_from == "prepared copy"
    for field in ("tables", "checksums", "objects"):
        assert getattr(snapshot.manifest, field) == getattr(copied.manifest, field)
    live = describe(physical_source, DATABASE)
    assert snapshot.manifest.tables == live["tables"] and snapshot.manifest.checksums == live["checksums"]


def test_backup_taken_while_another_session_writes_records_exactly_its_own_contents(physical_source, tmp_path,
                                                                                    key):
    stop = threading.Event()
    written = []

    def writer():
        while not stop.is_set():
            written.extend(add_patients(physical_source, "during-backup", count=1))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.2)
        made = create_physical_backup(physical_source, tmp_path, key_file=key)
    finally:
        stop.set()
        thread.join()
    assert written  # the writer really ran during the backup
    result = verify_physical(None, made.path, key_file=key)
    assert result.ok, result.problems


def test_binlog_coordinates_are_the_servers_at_the_backup(physical_server, physical_source, tmp_path, key):
    made = create_physical_backup(physical_source, tmp_path, key_file=key)
    conn = connect(physical_server.connection_info(), database=None)
    try:
        gtid = query(conn, "SELECT @@gtid_binlog_pos")[0][0]
        logs = [row[0] for row in query(conn, "SHOW BINARY LOGS")]
    finally:
        conn.close()
    binlog = made.manifest.binlog
    assert set(binlog) == {"file", "position", "gtid"}
    assert binlog["file"] in logs and binlog["position"] > 0
    # Nothing wrote since, except the backup account being locked again: one more transaction.
    domain, server_id, seq = gtid.split("-")
    assert binlog["gtid"] == f"{domain}-{server_id}-{int(seq) - 1}"


# -- private, signed, atomic -----------------------------------------------------

def test_backup_is_private_signed_and_lists_every_file(physical_source, tmp_path, key):
    made = create_physical_backup(physical_source, tmp_path, key_file=key)
    assert made.path.name.startswith(DATABASE + "_") and made.path.name.endswith(".physical")
    for directory, dirs, files in os.walk(made.path):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        for name in files:
            assert stat.S_IMODE(os.stat(os.path.join(directory, name)).st_mode) == 0o600
    data = json.loads((made.path / PHYSICAL_MANIFEST).read_text())
    assert signing.is_signed(data, signing.load_key(key))
    assert data["kind"] == "physical" and data["files"] == digest_tree(made.path / PHYSICAL_DATA)
    assert data["sha256"] == list_digest(data["files"]) and data["bytes"] == sum(s for s, _ in data["files"].values())
    assert data_file(made.path, "patient").relative_to(made.path / PHYSICAL_DATA).as_posix() in data["files"]
    assert data["server_version"].startswith(query_version(physical_source))
    assert sorted(os.listdir(made.path)) == [PHYSICAL_DATA, PHYSICAL_MANIFEST]


def query_version(info) -> str:
    conn = connect(info, database=None)
    try:
        return query(conn, "SELECT VERSION()")[0][0]
    finally:
        conn.close()


def test_killed_tool_leaves_nothing(physical_source, tmp_path, key):
    with pytest.raises(BackupError, match="killed by signal"):
        create_physical_backup(physical_source, tmp_path, key_file=key,
                               on_started=lambda proc: proc.send_signal(signal.SIGKILL))
    assert list(tmp_path.iterdir()) == [key]
    assert list_backups(tmp_path, key_file=key) == []


def test_partial_backup_of_a_killed_run_is_never_listed_and_is_removed_next_time(physical_source, tmp_path, key):
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    partial = tmp_path / f"{PARTIAL_PREFIX}{DATABASE}_20240101T000000.000Z.physical"
    (partial / PHYSICAL_DATA).mkdir(parents=True)
    (partial / OWNER_FILE).write_text(f"{dead}\n")
    assert list_backups(tmp_path, key_file=key) == []
    made = create_physical_backup(physical_source, tmp_path, key_file=key)
    assert not partial.exists()
    assert [b.path for b in list_backups(tmp_path, key_file=key)] == [made.path]


def test_incremental_without_a_full_backup_is_refused(physical_source, tmp_path, key):
    with pytest.raises(BackupError, match="no physical backup of 'hms_phys' from this server"):
        create_physical_backup(physical_source, tmp_path, incremental=True, key_file=key)
    assert list(tmp_path.iterdir()) == [key]


# -- least privilege -------------------------------------------------------------

def test_the_tool_logs_in_with_only_its_privileges_and_the_account_is_locked_after(physical_server,
                                                                                   physical_source, tmp_path, key):
    create_physical_backup(physical_source, tmp_path, key_file=key)
    conn = connect(physical_server.connection_info(), database=None)
    try:
        grants = [row[0] for row in query(conn, "SHOW GRANTS FOR %s@'localhost'", (ACCOUNT,))]
        created = query(conn, "SHOW CREATE USER %s@'localhost'", (ACCOUNT,))[0][0]
        binlog_files = [row[0] for row in query(conn, "SHOW BINARY LOGS")]
    finally:
        conn.close()
    assert len(grants) == 1 and grants[0].startswith(
        f"GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO `{ACCOUNT}`@`localhost`")
    assert "WITH GRANT OPTION" not in grants[0]
    assert "ACCOUNT LOCK" in created
    # Its password reaches the server only as a hash: no IDENTIFIED BY '<plaintext>' in the binary log.
    text = b"".join((physical_server.binlog_dir / name).read_bytes() for name in binlog_files)
    said = re.findall(rb"'" + ACCOUNT.encode() + rb"'@'localhost' IDENTIFIED BY (\w+)", text)
    assert said and set(said) == {b"PASSWORD"}


# -- list ------------------------------------------------------------------------

def test_list_shows_kind_chain_and_size(physical_source, tmp_path):
    env_home = tmp_path / "home"
    first = run_cli_physical(physical_source, tmp_path, env_home, "backup", "create", "--physical", "--json")
    assert first.exit_code == 0, first.output
    full = json.loads(first.output)
    inc = json.loads(run_cli_physical(physical_source, tmp_path, env_home, "backup", "create", "--physical",
                                      "--incremental", "--json").output)
    logical = json.loads(run_cli_physical(physical_source, tmp_path, env_home, "backup", "create", "--json").output)
    assert (full["kind"], full["parent"], inc["kind"], inc["parent"]) == ("physical", None, "physical",
                                                                            os.path.basename(full["path"]))
    assert logical["kind"] == "logical" and logical["parent"] is None
    for made in (full, inc):
        assert set(made["binlog"]) == {"file", "position", "gtid"} and made["bytes"] > 0
        assert {"path", "bytes", "sha256", "created_at", "database", "tables"} <= set(made)
    listed = json.loads(run_cli_physical(physical_source, tmp_path, env_home, "backup", "list", "--json").output)
    assert [item["path"] for item in listed] == [logical["path"], inc["path"], full["path"]]
    assert [item["kind"] for item in listed] == ["logical", "physical", "physical"]
    assert listed[1]["chain"]["type"] == "incremental" and listed[1]["parent"] == os.path.basename(full["path"])
    assert all(item["checksum_ok"] and item["signed"] for item in listed)
    text = run_cli_physical(physical_source, tmp_path, env_home, "backup", "list").output.splitlines()
    assert "physical incremental" in text[1] and f"on {os.path.basename(full['path'])}" in text[1]
    assert "physical full" in text[2] and "MiB" in text[2] and text[2].rstrip().endswith("ok")


def test_list_flags_a_physical_backup_whose_file_changed(physical_source, tmp_path, key):
    made = create_physical_backup(physical_source, tmp_path, key_file=key)
    ibd = data_file(made.path, "patient")
    with open(ibd, "r+b") as handle:
        handle.seek(20000)
        byte = handle.read(1)
        handle.seek(20000)
        handle.write(bytes([byte[0] ^ 0x01]))
    assert [b.intact for b in list_backups(tmp_path, key_file=key)] == [False]


def run_cli_physical(info, backup_dir, home, *args):
    home.mkdir(parents=True, exist_ok=True)
    from click.testing import CliRunner

    from cli import cli

    env = {"HMS_DATABASE_URL": info.url(hide_password=False), "HMS_BACKUP_DIR": str(backup_dir),
           "HMS_HOME": str(home)}
    return CliRunner().invoke(cli, ["--quiet", *args], env=env, catch_exceptions=False)


# -- where no physical backup can be made -------------------------------------------

def test_without_mariadb_backup_installed_the_error_is_one_line(physical_source, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = run_cli(physical_source, tmp_path / "backups", "backup", "create", "--physical")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["Error: physical backups need mariadb-backup, which is not installed (not on PATH). Install it "
                     "(`apt-get install mariadb-backup`, or `scripts/system-packages.sh backup`), or use a logical "
                     "backup (`hms backup create`)."]
    assert not (tmp_path / "backups").exists() or list_backups(tmp_path / "backups") == []


def test_a_mysql_server_gets_one_line_naming_the_alternatives():
    assert dialects.physical_backup_binary(dialects.MYSQL) is None  # whatever is installed
    what, fix = dialects.physical_backup_missing(dialects.MYSQL, "8.4.3")
    error = BackupError(what, fix)
    assert "\n" not in error.message and "MySQL 8.4.3" in error.message
    assert "logical backup (`hms backup create`)" in error.message and "XtraBackup" in error.message


def test_a_data_directory_this_machine_cannot_read_is_one_line(tmp_path):
    with pytest.raises(BackupError, match="is not on this machine") as remote:
        _readable(str(tmp_path / "on-another-host"))
    assert "logical backup" in remote.value.message
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o000)
    if os.geteuid() == 0:
        assert _readable(str(closed)) == str(closed)  # root reads any data directory
    else:
        with pytest.raises(BackupError, match="cannot read the server's data directory"):
            _readable(str(closed))


# -- with retention and the binary log archive ----------------------------------------

def test_prune_keeps_a_kept_incrementals_chain_and_deletes_an_old_physical_backup(physical_source, tmp_path, key):
    from hms.backup.prune import execute, plan_prune

    old = create_physical_backup(physical_source, tmp_path, key_file=key)
    full = create_physical_backup(physical_source, tmp_path, key_file=key)
    add_patients(physical_source, "before-prune", count=1)
    inc = create_physical_backup(physical_source, tmp_path, incremental=True, key_file=key)
    assert inc.manifest.parent == full.name
    plan = plan_prune(tmp_path, keep_last=1, key_file=key)
    kept = {d.name: d.reasons for d in plan.backups if d.keep}
    assert set(kept) == {inc.name, full.name} and f"the base of incremental {inc.name}" in kept[full.name]
    execute(plan, tmp_path, key_file=key)
    assert not old.path.exists()
    assert [b.name for b in list_backups(tmp_path, key_file=key)] == [inc.name, full.name]
    assert verify_physical(None, inc.path, key_file=key).ok
