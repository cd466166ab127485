"""A versioned file that fails part-way is retryable: the statements that succeeded are
skipped on the retry, unless their text changed."""

from __future__ import annotations

import pytest

from hms.connection import connect
from hms.errors import MigrationError
from hms.migrations import Migrator
from tests.support import query

WARD = "sql/schema/V900__ward.sql"
CREATE_WARD = "CREATE TABLE ward (ward_id INT UNSIGNED PRIMARY KEY, name VARCHAR(60) NOT NULL) ENGINE=InnoDB;\n"


def attempts(info, file: str) -> list[tuple]:
    conn = connect(info)
    try:
        return query(conn, "SELECT success, statements_done FROM hms_schema_history WHERE file = %s "
                           "ORDER BY installed_rank", (file,))
    finally:
        conn.close()


def test_a_file_that_failed_at_its_second_statement_succeeds_once_fixed(patched_sql_copy, fresh_database):
    ward = patched_sql_copy / "schema" / "V900__ward.sql"
    ward.write_text(CREATE_WARD + "CREATE INDEX idx_ward_name ON ward (no_such_column);\n")
    with pytest.raises(MigrationError) as excinfo:
        Migrator(fresh_database).migrate()
    assert f"{WARD} failed at line 2" in excinfo.value.message
    assert "1 statement(s) before it succeeded and will be skipped on the retry" in excinfo.value.message
    ward.write_text(CREATE_WARD + "CREATE INDEX idx_ward_name ON ward (name);\n")
    Migrator(fresh_database).migrate()  # before: "Table 'ward' already exists"
    states = {s.file: s.state for s in Migrator(fresh_database).status()}
    assert set(states.values()) == {"applied"}
    (failed, first_done), (succeeded, all_done) = attempts(fresh_database, WARD)
    assert not failed and succeeded
    assert len(first_done.split(",")) == 1 and len(all_done.split(",")) == 2
    assert all_done.startswith(first_done)


def test_an_edited_statement_is_not_skipped(patched_sql_copy, fresh_database):
    ward = patched_sql_copy / "schema" / "V900__ward.sql"
    ward.write_text(CREATE_WARD + "CREATE INDEX idx_ward_name ON ward (no_such_column);\n")
    with pytest.raises(MigrationError):
        Migrator(fresh_database).migrate()
    edited = CREATE_WARD.replace("NOT NULL)", "NOT NULL, beds INT NULL)")
    ward.write_text(edited + "CREATE INDEX idx_ward_name ON ward (name);\n")
    with pytest.raises(MigrationError) as excinfo:
        Migrator(fresh_database).migrate()
    assert f"{WARD} failed at line 1" in excinfo.value.message and "already exists" in excinfo.value.message


def test_a_history_table_from_before_gets_the_progress_column(fresh_database):
    Migrator(fresh_database).migrate()
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE hms_schema_history DROP COLUMN statements_done")
        assert {s.state for s in Migrator(fresh_database).status()} == {"applied"}
        assert Migrator(fresh_database).migrate().applied == []
        assert query(conn, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                           "AND TABLE_NAME = 'hms_schema_history' AND COLUMN_NAME = 'statements_done'") == [(1,)]
    finally:
        conn.close()
