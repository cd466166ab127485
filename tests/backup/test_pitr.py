"""Point-in-time recovery (issue 12, part 5) on a MariaDB server of this module's own: back up,
change, make a mistake, and get the database back as it was at a second or a GTID; every
refusal happens before anything is written.

The server is this module's because the tests purge its binary log."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime, timedelta

import pytest

from hms.backup import archive as archives
from hms.backup import binlog, binlogfile, contents, create_backup, rollforward
from hms.backup.errors import BackupError
from hms.backup.restore_account import account_name
from hms.connection import connect
from tests.support import Clinic, query, unique_numbers
from tests.support.databases import describe, drop_database, make_database
from tests.support.pitr import (
    binlog_server,
    database_exists,
    described_now,
    execute,
    gtid_position,
    next_second,
    purge_binary_logs,
    run_hms,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    with binlog_server("pitr") as running:
        yield running


@pytest.fixture(scope="module")
def source(server):
    """A migrated database with a small clinic and 2,000 patients, appointments and bills."""
    return make_database(server.info, "hms_pitr_src", patients=2000)


@pytest.fixture
def target(server):
    """A fresh database name to restore into; dropped (with its restore account) afterwards."""
    name = f"hms_pitr_{next(unique_numbers)}"
    yield name
    drop_database(server.info, name)
    execute(server.info, f"DROP USER IF EXISTS '{account_name(name)}'@'localhost'")


def back_up(server, source, directory):
    return create_backup(source, directory, key_file=server.key_file)


def patients_named(info, database: str, prefix: str) -> list[str]:
    conn = connect(info.with_database(database))
    try:
        return [row[0] for row in query(conn, "SELECT first_name FROM patient WHERE first_name LIKE %s "
                                              "ORDER BY first_name", (prefix + "%",))]
    finally:
        conn.close()


def add_patients(info, prefix: str, n: int = 3) -> None:
    execute(info, *(f"INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, address, city) "
                    f"VALUES ('{prefix}{i}', 'Pitr', '1990-01-0{i + 1}', 'Other', '+1-555-{prefix}{i}', 'x', 'y')"
                    for i in range(n)))


def prescribe(info) -> None:
    """A new prescription line: its trigger takes the quantity from the department's stock (another table)."""
    conn = connect(info)
    try:
        setup = Clinic(conn).prescribing_setup(stock=50)
        with conn.cursor() as cur:
            cur.execute("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
                        "duration_days, quantity) VALUES (%s, %s, '1', 'daily', 2, 7)",
                        (setup["prescription"], setup["medication"]))
        assert query(conn, "SELECT stock_quantity FROM department_medication WHERE department_id = %s",
                     (setup["department"],)) == [(43,)]
    finally:
        conn.close()


# -- the story ------------------------------------------------------------------

def test_restore_until_a_moment_has_rows_a_not_b_and_every_table_as_it_was(server, source, target, tmp_path):
    made = back_up(server, source, tmp_path)
    add_patients(source, "PitrA")                       # rows A
    prescribe(source)                                   # and a trigger-driven change elsewhere
    execute(source, "UPDATE billing SET payment_status = 'Overdue' WHERE MOD(bill_id, 50) = 0")
    moment = next_second(server.info)                   # T: A committed in an earlier second
    as_of_moment = described_now(server.info, source.database)
    next_second(server.info)
    execute(source, "DELETE FROM patient WHERE first_name LIKE 'PitrA%'")   # the mistake
    add_patients(source, "PitrB")                                            # and rows B
    live_before = described_now(server.info, source.database)

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until", moment)

    assert result.exit_code == 0, result.output
    assert "rolled it forward" in result.stdout
    assert patients_named(server.info, target, "PitrA") == ["PitrA0", "PitrA1", "PitrA2"]
    assert patients_named(server.info, target, "PitrB") == []
    assert contents.compare("the copy", describe(server.info, target), "the live database at T", as_of_moment) == []
    # The live database was not touched.
    assert contents.compare("live now", described_now(server.info, source.database), "live before",
                            live_before) == []


def test_restore_until_a_gtid_stops_with_that_transaction(server, source, target, tmp_path):
    made = back_up(server, source, tmp_path)
    add_patients(source, "GtidA")
    after_a = gtid_position(server.info)
    as_of_a = described_now(server.info, source.database)
    execute(source, "DELETE FROM patient WHERE first_name LIKE 'GtidA%'")
    add_patients(source, "GtidB")

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until-gtid", after_a)

    assert result.exit_code == 0, result.output
    assert patients_named(server.info, target, "GtidA") == ["GtidA0", "GtidA1", "GtidA2"]
    assert patients_named(server.info, target, "GtidB") == []
    assert contents.compare("the copy", describe(server.info, target), "the live database after A", as_of_a) == []


def test_a_backup_taken_under_writes_rolls_forward_to_exactly_the_live_database(server, source, target, tmp_path):
    """The manifest's coordinates are those of the dump's snapshot: nothing is applied twice or missed."""
    stop = threading.Event()

    def write():
        conn = connect(source)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO department (name, location) VALUES (%s, 'busy')", (f"Busy {n}",))
        finally:
            conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        made = back_up(server, source, tmp_path)
    finally:
        stop.set()
        writer.join()
    last = gtid_position(server.info)
    assert made.manifest.binlog["gtid"] != last  # the writer went on after the snapshot

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until-gtid", last)

    assert result.exit_code == 0, result.output
    assert contents.compare("the copy", describe(server.info, target), "the live database",
                            described_now(server.info, source.database)) == []


def test_ddl_after_the_backup_is_replayed_into_the_copy(server, source, target, tmp_path):
    made = back_up(server, source, tmp_path)
    column = f"pitr_note_{next(unique_numbers)}"
    execute(source, f"ALTER TABLE department ADD COLUMN {column} VARCHAR(20) NULL",
            f"INSERT INTO department (name, location, {column}) VALUES ('DDL dept', 'x', 'noted')")
    last = gtid_position(server.info)
    try:
        result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                         "--until-gtid", last)
        assert result.exit_code == 0, result.output
        conn = connect(server.info.with_database(target))
        try:
            assert query(conn, f"SELECT {column} FROM department WHERE name = 'DDL dept'") == [("noted",)]
        finally:
            conn.close()
    finally:
        execute(source, f"ALTER TABLE department DROP COLUMN {column}")


def test_create_and_list_json_carry_the_binlog_coordinates(server, source, tmp_path):
    created = run_hms(server, tmp_path, source.database, "backup", "create", "--json")
    assert created.exit_code == 0, created.output
    import json

    made = json.loads(created.stdout)
    assert set(made["binlog"]) == {"file", "position", "gtid"}
    binlog.file_number(made["binlog"]["file"])
    assert made["binlog"]["position"] >= 4 and made["binlog"]["gtid"]
    listed = json.loads(run_hms(server, tmp_path, source.database, "backup", "list", "--json").stdout)
    assert [b["binlog"] for b in listed if b["path"] == made["path"]] == [made["binlog"]]


# -- refusals: one line, before anything is written ------------------------------

@pytest.mark.parametrize("options, says", [
    (["--until", "2020-01-01 00:00:00", "--until-gtid", "0-1-1"], "both given"),
    (["--until", "yesterday at ten"], "is not a moment hms can read"),
    (["--until", "2025-02-30 10:00:00"], "is not a moment hms can read"),
    (["--until", "2000-01-01 00:00:00"], "is before"),
    (["--until", (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")], "in the future"),
    (["--until", "2999-01-01 00:00:00"], "outside the range"),
    (["--until-gtid", "0-1-1"], "already in the backup"),
    (["--until-gtid", "zero"], "is not a GTID"),
    (["--until-gtid", "0-1-999999999"], "not in the binary log yet"),
])
def test_a_bad_moment_is_one_line_and_nothing_is_made(server, source, target, tmp_path, options, says):
    made = back_up(server, source, tmp_path)
    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     *options)
    assert result.exit_code == 1
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not database_exists(server.info, target)


def test_a_purged_binary_log_is_refused_before_anything_is_written(server, source, target, tmp_path):
    made = back_up(server, source, tmp_path)   # the library call: nothing archived
    add_patients(source, "Purged")
    assert made.manifest.binlog["file"] in purge_binary_logs(server.info)

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until-gtid", gtid_position(server.info))

    assert result.exit_code == 1
    assert f"the binary log file {made.manifest.binlog['file']}" in result.stderr
    assert "neither on the server (purged) nor in the archive" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not database_exists(server.info, target)


def test_a_gap_in_the_gtid_sequence_is_refused(server, source, target, tmp_path):
    made = back_up(server, source, tmp_path)
    add_patients(source, "BeforeGap", 1)
    conn = connect(source)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@GLOBAL.gtid_binlog_pos")
            domain, server_id, seq = cur.fetchone()[0].split("-")
            cur.execute("SET SESSION gtid_seq_no = %s", (int(seq) + 5,))   # four transactions never written
            cur.execute("INSERT INTO department (name, location) VALUES ('After the gap', 'x')")
    finally:
        conn.close()

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until-gtid", gtid_position(server.info))

    assert result.exit_code == 1
    assert "the GTID sequence has a gap" in result.stderr
    assert f"{domain}-{server_id}-{seq} is followed by" in result.stderr
    assert not database_exists(server.info, target)


SEED_LOG = """CREATE TABLE IF NOT EXISTS hms_seed_log (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, started_at DATETIME(6) NOT NULL, finished_at DATETIME(6) NULL,
    seed BIGINT NOT NULL, scale DOUBLE NOT NULL, as_of DATE NOT NULL, row_count BIGINT UNSIGNED NULL,
    logged BOOLEAN NOT NULL, gtid_before TEXT NOT NULL, gtid_after TEXT NULL, PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""


def seed_record(info, logged: bool) -> None:
    """What `hms seed` writes: a logged row saying whether the load's rows were logged."""
    execute(info, SEED_LOG, "INSERT INTO hms_seed_log (started_at, seed, scale, as_of, logged, gtid_before) "
                            f"VALUES (UTC_TIMESTAMP(6), 42, 0.001, '2025-01-01', {int(logged)}, @@gtid_binlog_pos)")


def test_crossing_an_unlogged_seed_load_is_refused(server, source, target, tmp_path):
    execute(source, SEED_LOG)
    made = back_up(server, source, tmp_path)
    seed_record(source, logged=True)                      # a logged load: fine to cross
    with rollforward.plan(server.info, binlog.Coordinates.from_dict(made.manifest.binlog),
                          until_gtid=binlog.parse_gtid(gtid_position(server.info)), database=source.database) as ok:
        assert ok.transactions >= 1
    seed_record(source, logged=False)                     # an unlogged one: its rows are not in the log
    execute(source, "SET SESSION sql_log_bin = 0",
            "INSERT INTO department (name, location) VALUES ('Seeded unlogged', 'x')")

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until-gtid", gtid_position(server.info))

    assert result.exit_code == 1
    assert "crosses an unlogged bulk load" in result.stderr
    assert not database_exists(server.info, target)


# -- the archive ----------------------------------------------------------------

def test_after_archiving_a_purged_log_is_read_from_the_archive(server, source, target, tmp_path):
    made = back_up(server, source, tmp_path)
    add_patients(source, "ArchA")
    moment = next_second(server.info)
    as_of_moment = described_now(server.info, source.database)
    next_second(server.info)
    execute(source, "DELETE FROM patient WHERE first_name LIKE 'ArchA%'")
    archived = run_hms(server, tmp_path, source.database, "backup", "archive-binlogs")
    assert archived.exit_code == 0, archived.output
    assert f"archived {made.manifest.binlog['file']}" in archived.stdout
    for path in (tmp_path / "binlogs").iterdir():
        assert path.stat().st_mode & 0o777 == 0o600
    assert made.manifest.binlog["file"] in purge_binary_logs(server.info)

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until", moment)

    assert result.exit_code == 0, result.output
    assert patients_named(server.info, target, "ArchA") == ["ArchA0", "ArchA1", "ArchA2"]
    assert contents.compare("the copy", describe(server.info, target), "the live database at T", as_of_moment) == []


def test_a_missing_file_between_the_archive_and_the_server_is_refused(server, source, target, tmp_path):
    made = back_up(server, source, tmp_path)
    assert run_hms(server, tmp_path, source.database, "backup", "archive-binlogs").exit_code == 0
    add_patients(source, "Between")       # in a file that is never archived
    conn = connect(server.info, database=None)
    try:
        unarchived = binlog.server_logs(conn)[-1][0]
    finally:
        conn.close()
    assert unarchived in purge_binary_logs(server.info)

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until-gtid", gtid_position(server.info))

    assert result.exit_code == 1
    assert f"the binary log file {unarchived}" in result.stderr and "nor in the archive" in result.stderr
    assert not database_exists(server.info, target)


def test_a_damaged_or_edited_archive_is_refused(server, source, tmp_path):
    made = back_up(server, source, tmp_path)
    add_patients(source, "Damaged", 1)
    archives.archive_binlogs(server.info, tmp_path, key_file=server.key_file)
    start = binlog.Coordinates.from_dict(made.manifest.binlog)
    archived = tmp_path / "binlogs" / start.file
    original = archived.read_bytes()
    archived.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(BackupError, match="does not match its signed checksum"):
        archives.load(tmp_path, server.key_file).path_of(start.file)
    archived.write_bytes(original)
    index = tmp_path / "binlogs" / "index.json"
    index.write_text(index.read_text().replace('"bytes": ', '"bytes": 1', 1))
    with pytest.raises(BackupError, match="not signed by this installation's backup key"):
        archives.load(tmp_path, server.key_file)


def test_every_event_checksum_of_a_binary_log_is_checked(server, source, tmp_path):
    add_patients(source, "Crc", 1)
    conn = connect(server.info, database=None)
    try:
        name = binlog.server_logs(conn)[-1][0]
    finally:
        conn.close()
    (path,) = binlog.fetch(server.info, [name], tmp_path)
    groups = list(binlogfile.scan(path))
    assert groups and all(g.complete for g in groups)
    damaged = tmp_path / "damaged" / name
    damaged.parent.mkdir()
    shutil.copy(path, damaged)
    data = bytearray(damaged.read_bytes())
    middle = groups[-1].start + 30          # inside the last transaction's events
    data[middle] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="checksum does not match"):
        list(binlogfile.scan(damaged))


def test_a_backup_without_binlog_coordinates_cannot_be_rolled_forward(server, source, target, tmp_path):
    """A backup whose manifest records no binary log position cannot be rolled forward (older backups)."""
    made = back_up(server, source, tmp_path)
    import json

    from hms.backup import signing
    from hms.backup.manifest import manifest_path

    mpath = manifest_path(made.path)
    data = json.loads(mpath.read_text())
    data["binlog"] = None
    mpath.write_text(json.dumps(signing.sign(data, signing.load_key(server.key_file))))
    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until-gtid", gtid_position(server.info))
    assert result.exit_code == 1 and "records no binary log position" in result.stderr
    assert not database_exists(server.info, target)


def test_a_failed_roll_forward_drops_the_new_database(server, source, target, tmp_path):
    """A statement that fails during the replay leaves nothing behind (the copy is dropped)."""
    made = back_up(server, source, tmp_path)
    execute(source, "CREATE TABLE pitr_victim (id INT PRIMARY KEY)", "INSERT INTO pitr_victim VALUES (1)")
    try:
        # Dropped unlogged, created again logged: replayed, the second CREATE meets the first one's table.
        execute(source, "SET SESSION sql_log_bin = 0", "DROP TABLE pitr_victim")
        execute(source, "CREATE TABLE pitr_victim (id INT PRIMARY KEY)")
        result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                         "--until-gtid", gtid_position(server.info))
    finally:
        execute(source, "DROP TABLE IF EXISTS pitr_victim")
    assert result.exit_code == 1
    assert "the roll-forward failed" in result.stderr and "pitr_victim" in result.stderr
    assert not database_exists(server.info, target)
