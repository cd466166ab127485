"""The scratch objects a migration checks new definitions under (`hms_chk_<8 hex>`), when a
kill -9 strands them: the next migration of that database removes them; inside `db
verify`'s scratch database they go with it."""

from __future__ import annotations

import time

import pytest

from hms.connection import connect
from hms.databases import console_schema
from hms.migrations import Migrator
from hms.migrations import verify_database as verify
from tests.support import query

# What a migration killed in objects.check leaves: a trigger on an empty copy of its
# table, or a routine.
LEFTOVERS = (
    "CREATE TABLE hms_chk_0badf00d LIKE patient",
    "CREATE TRIGGER hms_chk_0badf00d BEFORE INSERT ON hms_chk_0badf00d FOR EACH ROW SET NEW.city = 'x'",
    "CREATE PROCEDURE hms_chk_1badf00d() BEGIN END",
    "CREATE FUNCTION hms_chk_2badf00d() RETURNS INT DETERMINISTIC RETURN 1",
)
NOT_OURS = "CREATE TABLE hms_chk_by_hand (id INT PRIMARY KEY)"
OBJECTS = """
SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s AND TRIGGER_NAME LIKE 'hms\\_chk\\_%%'
UNION ALL SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME LIKE 'hms\\_chk\\_%%'
UNION ALL SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s AND ROUTINE_NAME LIKE 'hms\\_chk\\_%%'
"""


def check_objects(conn, schema: str) -> list[str]:
    return sorted(row[0] for row in query(conn, OBJECTS, (schema,) * 3))


def leave(conn, schema: str, *statements: str) -> None:
    conn.select_db(schema)
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


@pytest.fixture
def migrated_copy(fresh_database):
    Migrator(fresh_database, include_roles=False).migrate()
    conn = connect(fresh_database, database=None)
    yield fresh_database, conn
    conn.close()


def test_the_next_migrate_removes_a_killed_runs_check_objects_and_keeps_others(migrated_copy):
    info, conn = migrated_copy
    leave(conn, info.database, *LEFTOVERS, NOT_OURS)
    leave(conn, console_schema(info.database), "CREATE PROCEDURE hms_chk_3badf00d() BEGIN END")
    assert check_objects(conn, info.database) == ["hms_chk_0badf00d", "hms_chk_0badf00d", "hms_chk_1badf00d",
                                                  "hms_chk_2badf00d", "hms_chk_by_hand"]

    result = Migrator(info, include_roles=False).migrate()

    assert result.all_applied == []  # nothing pending: the clean-up runs on every migrate
    assert check_objects(conn, info.database) == ["hms_chk_by_hand"]
    assert check_objects(conn, console_schema(info.database)) == []


def test_a_migrate_leaves_no_check_objects_of_its_own(migrated_copy):
    info, conn = migrated_copy
    Migrator(info, include_roles=False).migrate(reapply=True)
    assert check_objects(conn, info.database) == []


def test_db_verify_check_objects_go_with_its_killed_runs_scratch_database(server_info, migrated):
    """`db verify` migrates into a scratch database: what a kill strands is inside it."""
    conn = connect(server_info, database=None)
    killed = f"hms_verify_{int(time.time()) - 3600:08x}_fffffff0_c0ffee"
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{killed}`")
            cur.execute(f"CREATE TABLE `{killed}`.patient (patient_id INT PRIMARY KEY, city VARCHAR(10))")
        leave(conn, killed, *LEFTOVERS)
        assert verify(migrated) == []
        assert query(conn, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                     (killed,)) == [(0,)]
        assert check_objects(conn, migrated.database) == []
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{killed}`")
        conn.close()
