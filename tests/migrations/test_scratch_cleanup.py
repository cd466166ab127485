"""Scratch databases and roles left by a killed `db verify` or `backup verify` are removed by
the next run of the same kind once they are a few minutes old; a live run's are kept."""

from __future__ import annotations

import time

import pytest

from hms import scratch
from hms.backup import create_backup, verify_backup
from hms.backup.restore import SCRATCH_PREFIX as BACKUP_PREFIX
from hms.connection import connect
from hms.migrations import verify_database as verify
from tests.support import query

VERIFY_PREFIX = "hms_verify_"
DEAD_CONNECTION = 0xFFFFFFF0


def schemas(conn, prefix: str) -> set[str]:
    like = prefix.replace("_", "\\_") + "%"
    return {row[0] for row in query(conn, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                                          "WHERE SCHEMA_NAME LIKE %s", (like,))}


def roles(conn, like: str) -> set[str]:
    return {row[0] for row in query(conn, "SELECT User FROM mysql.user WHERE User LIKE %s", (like,))}


def leftover(conn, name: str, with_table: bool = True) -> str:
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
        if with_table:
            cur.execute(f"CREATE TABLE `{name}`.t (id INT PRIMARY KEY)")
    return name


@pytest.fixture
def admin(server_info):
    conn = connect(server_info, database=None)
    made: list[str] = []
    yield conn, made
    with conn.cursor() as cur:
        for name in made:
            if name.startswith("hms_"):
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            else:
                cur.execute("DROP ROLE IF EXISTS %s", (name,))
    conn.close()


def kinds(conn, prefix: str, made: list[str]) -> dict[str, str]:
    """Killed, young, live-owner and pre-scheme scratch databases of kind `prefix`."""
    hour_ago = f"{int(time.time()) - 3600:08x}"
    now = f"{int(time.time()):08x}"
    names = {
        "killed": leftover(conn, f"{prefix}{hour_ago}_{DEAD_CONNECTION:x}_a1b2c3"),
        "killed console": leftover(conn, f"{prefix}{hour_ago}_{DEAD_CONNECTION:x}_a1b2c3_console"),
        "young": leftover(conn, f"{prefix}{now}_{DEAD_CONNECTION:x}_d4e5f6"),
        "live owner": leftover(conn, f"{prefix}{hour_ago}_{conn.thread_id():x}_0a0b0c"),
        "old scheme, empty": leftover(conn, f"{prefix}0123456789ab", with_table=False),
        "old scheme, just made": leftover(conn, f"{prefix}ba9876543210"),
        "not ours": leftover(conn, f"{prefix}by_hand"),
    }
    made += names.values()
    return names


def test_db_verify_removes_a_killed_runs_scratch_databases_and_roles(admin, migrated):
    conn, made = admin
    names = kinds(conn, VERIFY_PREFIX, made)
    with conn.cursor() as cur:
        for role in ("hms_qa_va1b2c3", "hms_qa_v0123456789ab", "hms_qa_v0a0b0c"):
            cur.execute("CREATE ROLE IF NOT EXISTS %s", (role,))
            made.append(role)
    verify(migrated)
    left = schemas(conn, VERIFY_PREFIX)
    gone = {"killed", "killed console", "old scheme, empty"}
    assert not left & {names[k] for k in gone}
    assert {names[k] for k in set(names) - gone} <= left
    assert roles(conn, "hms\\_qa\\_v%") == {"hms_qa_v0a0b0c"}  # its scratch database is alive


def test_backup_verify_removes_a_killed_runs_scratch_databases(admin, migrated, tmp_path):
    conn, made = admin
    names = kinds(conn, BACKUP_PREFIX, made)
    made_backup = create_backup(migrated, tmp_path)
    assert verify_backup(migrated, made_backup.path, compare_source=False).problems == []
    left = schemas(conn, BACKUP_PREFIX)
    gone = {"killed", "killed console", "old scheme, empty"}
    assert not left & {names[k] for k in gone}
    assert {names[k] for k in set(names) - gone} <= left


def test_a_scratch_name_says_when_and_by_whom(admin):
    conn, _ = admin
    name = scratch.scratch_name(conn, VERIFY_PREFIX)
    assert scratch.NAMED.fullmatch(name.removeprefix(VERIFY_PREFIX))
    assert len(name) <= 64 and len(f"hms_developer_v{scratch.tag(name, VERIFY_PREFIX)}") <= 32
