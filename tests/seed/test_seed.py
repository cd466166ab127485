"""`hms seed`: exact counts, the same rows whatever --workers, resume, refusals, triggers after load."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from hms.connection import connect
from hms.errors import ConfigError, DatabaseError
from hms.migrations import verify_database as verify_schema
from seed import bulk_load, derived, scale
from seed.checks import verify as verify_seed
from seed.generate import Plan
from seed.run import check_disk, parse_options, run
from tests.support import query
from tests.support.seeding import AS_OF, SCALE, seeded


class Interrupted(Exception):
    """Stands in for Ctrl-C in the middle of a load."""


def checksums(info) -> dict[str, tuple]:
    """Per table: CHECKSUM TABLE, and a content checksum (row count, sum and xor of row CRCs).

    MariaDB's CHECKSUM TABLE is not stable for a table with a stored generated
    column (appointment.active_slot): the same rows give another value after FLUSH
    TABLES. There the content checksum alone decides.
    """
    conn = connect(info)
    try:
        result = {}
        for table in scale.TABLES:
            columns = [r[0] for r in query(conn, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                                                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
                                                 "ORDER BY ORDINAL_POSITION", (table,))]
            generated = query(conn, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                                    "AND TABLE_NAME = %s AND GENERATION_EXPRESSION IS NOT NULL "
                                    "AND GENERATION_EXPRESSION <> ''", (table,))[0][0]
            row = "CONCAT_WS('|', " + ", ".join(f"IFNULL(`{c}`, '<null>')" for c in columns) + ")"
            content = query(conn, f"SELECT COUNT(*), SUM(CRC32({row})), BIT_XOR(CRC32({row})) FROM `{table}`")[0]
            checksum = None if generated else query(conn, f"CHECKSUM TABLE `{table}`")[0][1]
            result[table] = (checksum, *content)
        return result
    finally:
        conn.close()


def test_full_scale_is_exactly_32_014_418_rows():
    counts = scale.counts(1.0)
    assert sum(counts.values()) == 32_014_418
    assert counts["prescription_medication"] == 8_002_130
    tiny = scale.counts(0.000001)
    assert (tiny["doctor"], tiny["nurse"], tiny["receptionist"], tiny["patient"]) == (15, 15, 1, 3)
    assert (tiny["department"], tiny["medication"], tiny["department_medication"], tiny["room"]) == (15, 1000, 2043, 200)


def test_seed_loads_exact_counts(seeded_two_workers):
    conn = connect(seeded_two_workers)
    try:
        for table, expected in scale.counts(SCALE).items():
            assert query(conn, f"SELECT COUNT(*) FROM `{table}`")[0][0] == expected, table
    finally:
        conn.close()


def test_seed_verify_passes_and_schema_matches_sql(seeded_two_workers):
    report = verify_seed(seeded_two_workers, SCALE)
    assert report.failed == []
    assert len(report.passed) > 50
    assert verify_schema(seeded_two_workers) == []


def test_seed_verify_fails_on_wrong_scale_and_broken_rules(make_database):
    info = seeded(make_database, 2)
    conn = connect(info)
    try:
        with conn.cursor() as cur:
            # A record whose appointment was not Completed, and a bill on the wrong day.
            cur.execute("UPDATE appointment SET status = 'No-show' WHERE appointment_id = "
                        "(SELECT MIN(appointment_id) FROM medical_record)")
            cur.execute("UPDATE billing SET bill_date = bill_date - INTERVAL 1 DAY, due_date = due_date "
                        "WHERE appointment_id IS NOT NULL ORDER BY bill_id LIMIT 1")
    finally:
        conn.close()
    failed = verify_seed(info, SCALE * 2).failed
    assert any(line.startswith("patient: 1,500 rows (expected 3,000") for line in failed)
    assert any(line.startswith("every medical record is a Completed appointment") for line in failed)
    assert any(line.startswith("bills for a visit are the visit's patient and day: 1 row") for line in failed)
    assert len(failed) == 2 + 6  # and the six scaled tables with counts off


def test_seed_verify_finds_orphans_by_value_and_by_row(make_database):
    info = seeded(make_database, 2)
    conn = connect(info)
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION foreign_key_checks = 0")
            # A cancelled appointment (no record or bill depends on its doctor) of a doctor
            # that does not exist: found by the distinct-value check.
            cur.execute("UPDATE appointment SET doctor_id = 999999 WHERE status = 'Cancelled' "
                        "AND appointment_id NOT IN (SELECT appointment_id FROM medical_record) "
                        "ORDER BY appointment_id LIMIT 1")
            # A bill without a visit for a patient that does not exist: found by the per-row check.
            cur.execute("UPDATE billing SET patient_id = 99999999 WHERE appointment_id IS NULL ORDER BY bill_id LIMIT 1")
    finally:
        conn.close()
    failed = verify_seed(info, SCALE).failed
    assert failed == ["appointment.doctor_id -> doctor: 1 orphan value(s)",
                      "billing.patient_id -> patient: 1 orphan row(s)"]


def test_workers_one_and_two_give_identical_tables(seeded_one_worker, seeded_two_workers):
    one, two = checksums(seeded_one_worker), checksums(seeded_two_workers)
    assert [t for t in one if one[t] != two[t]] == []


def test_resume_after_interrupt_gives_identical_contents(make_database):
    reference = seeded(make_database, 2, chunk_rows=1000)
    info = make_database()
    options = parse_options(str(SCALE), "7", "2", as_of_text=AS_OF.isoformat())
    loaded = []

    def interrupt(chunk):
        loaded.append(chunk)
        if chunk.table == "appointment" and chunk.number == 1:
            raise Interrupted()

    with pytest.raises(Interrupted):
        run(info, options, quiet=True, chunk_rows=1000, on_chunk=interrupt)
    conn = connect(info)
    try:
        # Two sessions load side by side, so the other may commit one more chunk after
        # the interrupt; the database holds exactly the chunks recorded, no more, no less.
        recorded = query(conn, "SELECT table_name, chunk_no, row_count FROM hms_seed_chunk")
        assert {(t, n) for t, n, _ in recorded} >= {(c.table, c.number) for c in loaded}
        assert len(recorded) <= len(loaded) + 1
        assert len(recorded) < len(Plan(7, SCALE, AS_OF, 1000).chunks())
        for table in scale.TABLES:
            rows = sum(r for t, _, r in recorded if t == table)
            assert query(conn, f"SELECT COUNT(*) FROM `{table}`")[0][0] == rows, table
    finally:
        conn.close()
    with pytest.raises(DatabaseError, match="not empty.*--resume"):
        run(info, options, quiet=True, chunk_rows=1000)
    resumed = parse_options(str(SCALE), "7", "1", resume=True)
    result = run(info, resumed, quiet=True, chunk_rows=1000)
    assert result.chunks_skipped == len(recorded)
    assert checksums(info) == checksums(reference)
    assert verify_schema(info) == []
    again = run(info, resumed, quiet=True, chunk_rows=1000)
    assert (again.chunks_loaded, again.rows_loaded) == (0, 0)
    assert verify_schema(info) == []


# Per derived table: what its rows add up to (ids and defaulted timestamps aside).
DERIVED_SUMS = {"charge_price": "SUM(unit_price)", "invoice_line": "SUM(quantity * unit_price)",
                "payment": "SUM(amount)", "stock_lot": "SUM(quantity)", "stock_ledger": "SUM(quantity)"}


def derived_sums(info) -> dict[str, tuple]:
    conn = connect(info)
    try:
        return {t: tuple(query(conn, f"SELECT COUNT(*), {expr} FROM {t}")[0]) for t, expr in DERIVED_SUMS.items()}
    finally:
        conn.close()


def test_a_derived_fill_cut_between_its_parts_is_finished_by_resume(make_database, seeded_two_workers, monkeypatch):
    """The derived tables are filled a transaction per part, parts side by side: a run cut in
    one part leaves that part's table empty (the others whole or empty), and --resume fills
    what is missing without doubling what was done."""
    def cut(cur, as_of):
        raise Interrupted()

    info = make_database()
    catalogue_and_lines, _, stock = derived.PARTS
    monkeypatch.setattr(derived, "PARTS", (catalogue_and_lines, ("payment", cut), stock))
    with pytest.raises(Interrupted):
        run(info, parse_options(str(SCALE), "7", "2", as_of_text=AS_OF.isoformat()), quiet=True)
    partial = derived_sums(info)
    assert partial["payment"][0] == 0 and partial["charge_price"][0] > 0
    monkeypatch.undo()
    run(info, parse_options(str(SCALE), "7", "1", resume=True), quiet=True)
    assert derived_sums(info) == derived_sums(seeded_two_workers)
    assert checksums(info) == checksums(seeded_two_workers)
    assert verify_seed(info, SCALE).failed == []


def test_resume_refuses_another_seed(seeded_two_workers):
    with pytest.raises(ConfigError, match="--seed 7"):
        run(seeded_two_workers, parse_options(str(SCALE), "8", "1", resume=True), quiet=True)


def test_triggers_in_force_after_load(seeded_two_workers):
    conn = connect(seeded_two_workers)
    try:
        prescription, department = query(conn, """
            SELECT p.prescription_id, d.department_id FROM prescription AS p
              JOIN medical_record AS mr ON mr.record_id = p.record_id JOIN doctor AS d ON d.doctor_id = mr.doctor_id
             ORDER BY p.prescription_id LIMIT 1""")[0]
        medication, stock = query(conn, """
            SELECT dm.medication_id, dm.stock_quantity FROM department_medication AS dm
             WHERE dm.department_id = %s AND dm.stock_quantity > 10 AND dm.medication_id NOT IN
                   (SELECT medication_id FROM prescription_medication WHERE prescription_id = %s)
             ORDER BY dm.medication_id LIMIT 1""", (department, prescription))[0]
        with conn.cursor() as cur:
            # A fresh lot: the seeded lots expire relative to the dataset's --as-of, long past.
            cur.execute("CALL stock_receive(%s, %s, 'TEST-FRESH', CURDATE() + INTERVAL 1 YEAR, 20, 'test', @lot)",
                        (department, medication))
            stock += 20
            # The bypass variable alone does nothing for any account but hms_loader.
            cur.execute("SET @hms_seed_loading = 1")
            cur.execute("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
                        "duration_days, quantity) VALUES (%s, %s, '1 tablet', 'Once daily', 7, 7)",
                        (prescription, medication))
        after = query(conn, "SELECT stock_quantity FROM department_medication WHERE department_id = %s "
                            "AND medication_id = %s", (department, medication))[0][0]
        assert after == stock - 7
        assert query(conn, "SELECT COUNT(*) FROM mysql.user WHERE user = %s", (bulk_load.LOADER_USER,))[0][0] == 0
        indexes = {name for _, name in bulk_load.existing_indexes(conn, seeded_two_workers.database)}
        assert {index.name for index in bulk_load.secondary_indexes()} <= indexes
    finally:
        conn.close()


def test_refuses_a_database_that_holds_data(seeded_two_workers):
    with pytest.raises(DatabaseError, match="not empty"):
        run(seeded_two_workers, parse_options(str(SCALE), "7", "1"), quiet=True)


def test_refuses_an_unmigrated_database(server_info, fresh_database):
    conn = connect(server_info, database=None)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{fresh_database.database}`")
    conn.close()
    with pytest.raises(DatabaseError, match="not fully migrated.*hms db migrate"):
        run(fresh_database, parse_options(str(SCALE)), quiet=True)


def test_refuses_a_server_with_local_infile_off(server_info, make_database):
    info = make_database()
    conn = connect(server_info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute("SET GLOBAL local_infile = 0")
        try:
            with pytest.raises(DatabaseError, match="local_infile off"):
                run(info, parse_options(str(SCALE)), quiet=True)
        finally:
            with conn.cursor() as cur:
                cur.execute("SET GLOBAL local_infile = 1")
        assert query(connect_info := conn, f"SELECT COUNT(*) FROM `{info.database}`.patient")[0][0] == 0
        assert connect_info
    finally:
        conn.close()


@pytest.mark.parametrize("args, message", [
    (("0",), "--scale must be a positive number"),
    (("-1",), "--scale must be a positive number"),
    (("abc",), "--scale must be a positive number"),
    (("nan",), "--scale must be a positive number"),
    (("0.1", "x"), "--seed must be an integer"),
    (("0.1", "1.5"), "--seed must be an integer"),
    (("0.1", "1", "0"), "--workers must be a whole number of at least 1"),
])
def test_bad_options_are_one_line_errors(args, message):
    with pytest.raises(ConfigError, match=message):
        parse_options(*args)


def test_cli_bad_scale_is_one_line_exit_1(migrated):
    result = CliRunner().invoke(cli, ["--url", migrated.url(hide_password=False), "seed", "--scale", "0"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("Error: --scale must be a positive number")


def test_too_little_disk_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="MiB free"):
        check_disk(tmp_path, 1 << 62)


def test_a_chunk_with_warnings_fails_and_leaves_nothing(make_database, tmp_path):
    info = make_database()
    plan = Plan(7, SCALE, AS_OF)
    chunk = plan.chunks()[0]
    assert chunk.table == "department"
    bad = tmp_path / chunk.filename
    # 15 rows; the third has a non-numeric id, which LOAD DATA LOCAL turns into a warning.
    lines = [f"{i}\tDept {i}\tBlock A\t\\N\t2010-01-01 08:00:00" for i in range(1, 16)]
    lines[2] = "x3\tDept 3\tBlock A\t\\N\t2010-01-01 08:00:00"
    bad.write_text("\n".join(lines) + "\n")
    with bulk_load.LoaderAccount(info) as loader_info:
        conn = bulk_load.open_loader(loader_info)
        try:
            with pytest.raises(bulk_load.LoadError, match=r"chunk department#0 .*warnings: Warning 1366: Incorrect integer value: 'x3'"):
                bulk_load.load_chunk(conn, plan, chunk, bad)
        finally:
            conn.close()
    admin = connect(info)
    try:
        assert query(admin, "SELECT COUNT(*) FROM department")[0][0] == 0
        assert query(admin, "SELECT COUNT(*) FROM hms_seed_chunk")[0][0] == 0
    finally:
        admin.close()


def test_billing_summary_is_rebuilt_after_load_and_checked(make_database):
    info = seeded(make_database, 2)
    conn = connect(info)
    try:
        expected = query(conn, "SELECT patient_id, COUNT(*), SUM(total_amount) FROM billing "
                               "GROUP BY patient_id ORDER BY patient_id")
        assert expected and query(conn, "SELECT patient_id, bills, total_billed FROM patient_billing_summary "
                                        "ORDER BY patient_id") == expected
        with conn.cursor() as cur:
            cur.execute("UPDATE patient_billing_summary SET total_billed = total_billed + 1 "
                        "ORDER BY patient_id LIMIT 1")
    finally:
        conn.close()
    assert verify_seed(info, SCALE).failed == ["patient_billing_summary agrees with billing: 1 patient(s) differ"]
