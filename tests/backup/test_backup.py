"""Backups restore to identical data, and nothing untrusted or half-made is ever used.

One source database per module (the `source` fixture), migrated and filled with ~25k rows (unicode, quotes,
backslashes, newlines, NULLs, a cancelled appointment's NULL generated column);
every test writes its backups to its own directory.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pymysql
import pytest
from click.testing import CliRunner

from cli import cli
from hms import dialect as dialects
from hms.backup import (
    BackupError,
    contents,
    create_backup,
    list_backups,
    open_backup,
    restore_backup,
    signing,
    verify_backup,
)
from hms.backup.manifest import manifest_path
from hms.backup.stream import strip_definers
from hms.connection import ConnectionInfo, connect
from tests.support import ROOT, Clinic, query
from tests.support.backups import run_cli
from tests.support.databases import (
    database_exists,
    describe,
    drop_database,
    make_database,
)


def rewrite(backup_path: Path, edit) -> None:
    """Rewrite a backup's SQL with `edit` and re-sign its manifest with this installation's key
    (simulates a bad file that is nevertheless trusted)."""
    with gzip.open(backup_path, "rb") as handle:
        text = handle.read()
    with gzip.open(backup_path, "wb") as handle:
        handle.write(edit(text))
    import hashlib

    data = backup_path.read_bytes()
    mpath = manifest_path(backup_path)
    manifest = json.loads(mpath.read_text())
    manifest.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    mpath.write_text(json.dumps(signing.sign(manifest, signing.load_key())))


# -- round trip ---------------------------------------------------------------

def test_restore_gives_identical_tables_routines_triggers(server_info, source, target, tmp_path):
    made = create_backup(source, tmp_path)
    restore_backup(server_info, made.path, target)
    original, copy = describe(server_info, source.database), describe(server_info, target)
    assert contents.compare("copy", copy, "source", original) == []
    assert copy["tables"]["patient"] >= 20000 and copy["tables"]["prescription_medication"] == 1
    from hms.migrations import discover

    files = discover()
    assert {name.split(" ", 1)[1] for name in copy["objects"]["routine"]} == \
        {f.object_name for f in files if f.group == "routines"}
    assert set(copy["objects"]["trigger"]) == {f.object_name for f in files if f.group == "triggers"}
    # Row by row, for the table with the awkward values.
    src, dst = connect(source), connect(source.with_database(target))
    try:
        sql = "SELECT * FROM patient ORDER BY patient_id"
        assert query(src, sql) == query(dst, sql)
        sql = "SELECT * FROM appointment ORDER BY appointment_id"
        assert query(src, sql) == query(dst, sql)
    finally:
        src.close()
        dst.close()


def test_restored_routines_and_triggers_work_in_the_new_database(server_info, source, target, tmp_path):
    restore_backup(server_info, create_backup(source, tmp_path).path, target)
    conn = connect(source.with_database(target))
    try:
        assert query(conn, "SELECT calculate_discounted_bill(200, 10)")[0][0] == 180
        prescription, department = query(conn, "SELECT p.prescription_id, d.department_id FROM prescription p "
                                               "JOIN medical_record r USING (record_id) JOIN doctor d "
                                               "USING (doctor_id) LIMIT 1")[0]
        clinic = Clinic(conn)
        medication = clinic.medication()
        clinic.stock(department, medication, 50)
        with conn.cursor() as cur:
            cur.execute("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, "
                        "frequency, duration_days, quantity) VALUES (%s, %s, '1', 'daily', 1, 7)",
                        (prescription, medication))
        assert query(conn, "SELECT stock_quantity FROM department_medication WHERE department_id = %s "
                           "AND medication_id = %s", (department, medication))[0][0] == 43
        with pytest.raises(pymysql.err.MySQLError, match="Stock cannot be negative"):
            clinic.stock(department, clinic.medication(), -1)
        definers = query(conn, "SELECT DISTINCT DEFINER FROM information_schema.ROUTINES "
                               "WHERE ROUTINE_SCHEMA = DATABASE()")
        assert len(definers) == 1  # all re-created by the restoring account
    finally:
        conn.close()


def test_dump_has_no_definer_clauses(source, tmp_path):
    made = create_backup(source, tmp_path)
    with gzip.open(made.path, "rb") as handle:
        text = handle.read()
    assert b"DEFINER=" not in text
    assert b"/*!50003 CREATE*/ /*!50003 TRIGGER" in text and b"\nCREATE FUNCTION `calculate_age`" in text


def test_strip_definers_leaves_data_alone():
    block = (b"CREATE DEFINER=`root`@`localhost` FUNCTION `f`() RETURNS int\n"
             b"/*!50003 CREATE*/ /*!50017 DEFINER=`a``b`@`%`*/ /*!50003 TRIGGER t\n"
             b"/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n"
             b"/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT e\n"
             b"INSERT INTO `t` VALUES (1,'DEFINER=`x`@`y`');\n")
    assert strip_definers(block) == (b"CREATE FUNCTION `f`() RETURNS int\n"
                                     b"/*!50003 CREATE*/ /*!50003 TRIGGER t\n"
                                     b"/*!50013 SQL SECURITY DEFINER */\n"
                                     b"/*!50106 CREATE*/ /*!50106 EVENT e\n"
                                     b"INSERT INTO `t` VALUES (1,'DEFINER=`x`@`y`');\n")


# -- create and list ----------------------------------------------------------

def test_create_json_has_the_contract_keys_and_list_shows_it(source, tmp_path):
    result = run_cli(source, tmp_path, "backup", "create", "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert {"path", "bytes", "sha256", "created_at", "database", "tables"} <= set(made)
    path = Path(made["path"])
    assert path.parent == tmp_path and path.name.startswith(source.database + "_")
    assert path.name.endswith(".sql.gz") and made["bytes"] == path.stat().st_size
    assert made["tables"]["patient"] == describe(source, source.database)["tables"]["patient"]
    listed = json.loads(run_cli(source, tmp_path, "backup", "list", "--json").output)
    assert [item["path"] for item in listed] == [made["path"]] and listed[0]["checksum_ok"] is True


def test_list_is_newest_first_and_flags_a_changed_file(source, tmp_path):
    first = create_backup(source, tmp_path)
    second = create_backup(source, tmp_path)
    assert [b.path for b in list_backups(tmp_path)] == [second.path, first.path]
    with open(first.path, "r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    states = {b.path: b.intact for b in list_backups(tmp_path)}
    assert states == {second.path: True, first.path: False}
    output = run_cli(source, tmp_path, "backup", "list").output
    assert "CHECKSUM MISMATCH" in output and output.index(second.path.name) < output.index(first.path.name)


def test_killed_dump_leaves_nothing(source, tmp_path):
    with pytest.raises(BackupError, match="killed by signal"):
        create_backup(source, tmp_path, on_started=lambda proc: proc.send_signal(signal.SIGKILL))
    assert list(tmp_path.iterdir()) == []


def test_killed_backup_command_leaves_nothing_in_the_list(source, tmp_path):
    env = {**os.environ, "HMS_DATABASE_URL": source.url(hide_password=False), "HMS_BACKUP_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--quiet", "backup", "create"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not any(p.name.startswith(".partial-") for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the dump never started"
        time.sleep(0.001)
    proc.kill()
    proc.wait()
    assert list_backups(tmp_path) == []
    assert not any(p.name.endswith(".sql.gz") and not p.name.startswith(".") for p in tmp_path.iterdir())


def test_missing_privileges_give_one_line_and_no_file(server_info, source, tmp_path):
    name, password = f"t_bk_{secrets.token_hex(4)}", secrets.token_urlsafe(16) + "aA1!"
    admin = connect(server_info, database=None)
    try:
        with admin.cursor() as cur:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
            cur.execute(f"GRANT SELECT ON `{source.database}`.* TO %s@'%%'", (name,))
        result = run_cli(source.with_login(name, password), tmp_path, "backup", "create")
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP USER IF EXISTS %s@'%%'", (name,))
        admin.close()
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1 and "RELOAD" in result.output
    assert list(tmp_path.iterdir()) == []


def test_least_privilege_account_backs_up_everything(server_info, source, dialect, tmp_path):
    name, password = f"t_bk_{secrets.token_hex(4)}", secrets.token_urlsafe(16) + "aA1!"
    account = f"'{name}'@'%'"
    admin = connect(server_info, database=None)
    try:
        with admin.cursor() as cur:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
            for grant in dialects.backup_privileges(dialect):
                cur.execute(grant.format(database=source.database, account=account))
        made = create_backup(source.with_login(name, password), tmp_path)
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP USER IF EXISTS %s@'%%'", (name,))
        admin.close()
    result = verify_backup(server_info, made.path)
    assert result.problems == [] and result.source_compared


def test_no_space_left_is_one_line_and_leaves_nothing(source, tmp_path):
    import resource

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))

    env = {**os.environ, "HMS_DATABASE_URL": source.url(hide_password=False), "HMS_BACKUP_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--quiet", "backup", "create"], env=env,
                            capture_output=True, text=True, preexec_fn=small_files, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: not enough space") and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_backup_while_another_session_writes_is_consistent(server_info, target, tmp_path):
    busy = make_database(server_info, f"hms_bkbusy_{secrets.token_hex(3)}", patients=20000)
    stop = threading.Event()
    written = []

    def writer():
        conn = connect(busy, autocommit=False)
        try:
            clinic = Clinic(conn)
            doctor = clinic.doctor()
            conn.commit()
            while not stop.is_set():
                patient = clinic.patient()  # a patient and their record always commit together
                clinic.record(doctor, patient)
                conn.commit()
                written.append(patient)
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.2)
        made = create_backup(busy, tmp_path)
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    try:
        assert len(written) > 10
        restore_backup(server_info, made.path, target)
        copy = describe(server_info, target)
        assert copy["tables"] == made.manifest.tables
        assert verify_backup(server_info, made.path, compare_source=False).problems == []
        conn = connect(server_info.with_database(target))
        try:
            orphans = query(conn, "SELECT COUNT(*) FROM patient p LEFT JOIN medical_record r USING (patient_id) "
                                  "WHERE p.first_name = 'Pat' AND r.record_id IS NULL")[0][0]
        finally:
            conn.close()
        assert orphans == 0
        assert copy["tables"]["patient"] < describe(server_info, busy.database)["tables"]["patient"]
    finally:
        drop_database(server_info, busy.database)


# -- verify ---------------------------------------------------------------------

def test_verify_passes_on_a_fresh_backup(source, tmp_path):
    made = create_backup(source, tmp_path)
    result = run_cli(source, tmp_path, "backup", "verify", str(made.path))
    assert result.exit_code == 0, result.output
    assert "identical to its manifest and the live database" in result.output
    assert not any(name.startswith("hms_bkverify_") for name in _databases(source))


def test_verify_names_every_difference_with_the_live_database(server_info, source, target, tmp_path):
    restore_backup(server_info, create_backup(source, tmp_path).path, target)
    copy = source.with_database(target)
    made = create_backup(copy, tmp_path)
    conn = connect(copy)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE patient SET city = 'Shelbyville' ORDER BY patient_id LIMIT 1")
            cur.execute("DELETE FROM billing ORDER BY bill_id DESC LIMIT 2")
            cur.execute("DROP TRIGGER trg_patient_dob_update")
    finally:
        conn.close()
    result = run_cli(copy, tmp_path, "backup", "verify", str(made.path))
    assert result.exit_code == 1
    assert "table patient: same row count but different contents" in result.output
    assert f"table billing: {made.manifest.tables['billing']} rows in the restored copy, " \
           f"{made.manifest.tables['billing'] - 2} in the live database '{target}'" in result.output
    assert "trigger trg_patient_dob_update: in the restored copy, not in the live database" in result.output
    assert run_cli(copy, tmp_path, "backup", "verify", "--no-source", str(made.path)).exit_code == 0


def test_verify_catches_a_signed_backup_whose_data_differs_from_its_manifest(source, tmp_path):
    made = create_backup(source, tmp_path)
    rewrite(made.path, lambda sql: sql.replace(b"'Springfield'", b"'Springfielt'", 1))
    result = verify_backup(source, made.path, compare_source=False)
    assert len(result.problems) == 1 and "different contents" in result.problems[0]
    assert result.problems[0].startswith("table patient:")


@pytest.mark.parametrize("damage", ["corrupted", "truncated"])
def test_damaged_backup_is_refused_by_verify_and_restore(server_info, source, target, tmp_path, damage):
    made = create_backup(source, tmp_path)
    data = made.path.read_bytes()
    if damage == "corrupted":
        data = data[:500] + bytes([data[500] ^ 0x01]) + data[501:]
    else:
        data = data[: len(data) // 2]
    made.path.write_bytes(data)
    for args in (["backup", "verify", str(made.path)],
                 ["backup", "restore", str(made.path), "--into", target]):
        result = run_cli(source, tmp_path, *args)
        assert result.exit_code == 1
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1
        assert "cannot be trusted" in result.output
    assert not database_exists(server_info, target)
    assert not any(name.startswith("hms_bkverify_") for name in _databases(source))


def test_truncated_backup_with_resigned_manifest_is_still_refused(server_info, source, target, tmp_path):
    made = create_backup(source, tmp_path)
    rewrite(made.path, lambda sql: sql[: sql.rindex(b"-- Dump completed")])
    with pytest.raises(BackupError, match="truncated"):
        restore_backup(server_info, made.path, target)
    assert not database_exists(server_info, target)


# -- restore --------------------------------------------------------------------

def test_failing_restore_leaves_no_database_and_names_the_statement(server_info, source, target, tmp_path):
    made = create_backup(source, tmp_path)
    rewrite(made.path, lambda sql: sql.replace(b"\n-- Dumping routines", b"\nINSERT INTO no_such_table VALUES (1);\n"
                                                                        b"-- Dumping routines", 1))
    result = run_cli(source, tmp_path, "backup", "restore", str(made.path), "--into", target)
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "failed at line" in result.output and "INSERT INTO no_such_table VALUES (1);" in result.output
    assert not database_exists(server_info, target)


def test_restore_over_non_empty_database_needs_replace_and_keeps_a_safety_copy(server_info, source, target,
                                                                               tmp_path):
    made = create_backup(source, tmp_path)
    make_database(server_info, target, patients=10)
    before = describe(server_info, target)
    result = run_cli(source, tmp_path, "backup", "restore", str(made.path), "--into", target)
    assert result.exit_code == 1 and "exists and is not empty" in result.output and "--replace" in result.output
    assert describe(server_info, target) == before

    result = run_cli(source, tmp_path, "backup", "restore", str(made.path), "--into", target, "--replace")
    assert result.exit_code == 0, result.output
    assert describe(server_info, target)["checksums"] == describe(server_info, source.database)["checksums"]
    safety = [b for b in list_backups(tmp_path) if b.manifest.database == target]
    assert len(safety) == 1 and safety[0].manifest.tables == before["tables"]


def test_restore_into_an_existing_empty_database_is_allowed(server_info, source, target, tmp_path):
    made = create_backup(source, tmp_path)
    conn = connect(server_info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{target}`")
    finally:
        conn.close()
    restore_backup(server_info, made.path, target)
    assert describe(server_info, target)["tables"] == made.manifest.tables


@pytest.mark.parametrize("name", ["bad-name", "x; DROP DATABASE hms", "`x`", "a" * 65, ""])
def test_bad_target_name_is_a_usage_error(source, tmp_path, name):
    made = create_backup(source, tmp_path)
    result = run_cli(source, tmp_path, "backup", "restore", str(made.path), "--into", name)
    assert result.exit_code == 2 and "is not a valid database name" in result.output


def test_foreign_missing_and_non_file_paths_are_refused(server_info, source, target, tmp_path):
    made = create_backup(source, tmp_path)
    foreign = tmp_path / "elsewhere" / made.path.name
    foreign.parent.mkdir()
    foreign.write_bytes(made.path.read_bytes())  # a real dump, but no manifest beside it
    cases = {str(foreign): "not a backup made by hms", str(tmp_path / "missing.sql.gz"): "does not exist",
             str(tmp_path / "elsewhere"): "is a directory", "/etc/hostname": "not a backup made by hms"}
    for path, message in cases.items():
        result = run_cli(source, tmp_path, "backup", "restore", path, "--into", target)
        assert result.exit_code in (1, 2) and message in result.output, (path, result.output)
        assert result.output.startswith("Error: ") or "Usage" in result.output
    assert not database_exists(server_info, target)
    with pytest.raises(BackupError, match="not a backup made by hms"):
        open_backup(foreign)


def test_restore_needs_an_account_that_may_create_databases(server_info, source, target, tmp_path):
    made = create_backup(source, tmp_path)
    name, password = f"t_bk_{secrets.token_hex(4)}", secrets.token_urlsafe(16) + "aA1!"
    admin = connect(server_info, database=None)
    try:
        with admin.cursor() as cur:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
            cur.execute(f"GRANT SELECT ON `{source.database}`.* TO %s@'%%'", (name,))
        result = run_cli(source.with_login(name, password), tmp_path, "backup", "restore", str(made.path),
                         "--into", target)
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP USER IF EXISTS %s@'%%'", (name,))
        admin.close()
    assert result.exit_code == 1 and "was refused" in result.output and result.output.count("\n") == 1
    assert not database_exists(server_info, target)


def test_every_backup_command_has_an_example():
    for command in ("create", "list", "verify", "restore"):
        result = CliRunner().invoke(cli, ["backup", command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output


def _databases(info: ConnectionInfo) -> list[str]:
    conn = connect(info, database=None)
    try:
        return [row[0] for row in query(conn, "SHOW DATABASES")]
    finally:
        conn.close()




def test_table_digests_do_not_depend_on_how_the_stream_is_cut(source, tmp_path):
    from hms.backup.stream import DumpStream, NullSink

    made = create_backup(source, tmp_path)
    with gzip.open(made.path, "rb") as handle:
        lines = handle.read().splitlines(keepends=True)
    for every in (1, 7, 1000):
        stream = DumpStream(None, NullSink(), compress=False)
        for i in range(0, len(lines), every):
            stream._digest(b"".join(lines[i:i + every]))
        assert stream.digests == made.manifest.digests
    assert set(made.manifest.digests) == set(made.manifest.tables)


def test_failed_replace_puts_the_previous_database_back(server_info, source, target, tmp_path):
    made = create_backup(source, tmp_path)
    rewrite(made.path, lambda sql: sql.replace(b"\n-- Dumping routines", b"\nSELECT no_such_column FROM patient;\n"
                                                                        b"-- Dumping routines", 1))
    make_database(server_info, target, patients=10)
    before = describe(server_info, target)
    with pytest.raises(BackupError) as excinfo:
        restore_backup(server_info, made.path, target, replace=True, backup_dir=tmp_path)
    assert "no_such_column" in excinfo.value.message and "was put back as it was" in excinfo.value.message
    assert describe(server_info, target) == before


def test_partial_files_of_a_killed_process_are_cleaned_up_later(tmp_path):
    import os
    import time

    from hms.backup.create import remove_stale_partials

    stale = tmp_path / ".partial-hms_20200101T000000Z.sql.gz"
    fresh = tmp_path / ".partial-hms_20990101T000000Z.sql.gz"
    kept = tmp_path / "hms_20200101T000000Z.sql.gz"
    for path in (stale, fresh, kept):
        path.write_bytes(b"x")
    old = time.time() - 7 * 3600
    os.utime(stale, (old, old))
    os.utime(kept, (old, old))
    assert remove_stale_partials(tmp_path) == [stale]
    assert not stale.exists() and fresh.exists() and kept.exists()
