"""Point-in-time recovery from a physical backup: `restore PATH --into NAME --until T` (the copy
rolled forward on the running server) and `restore PATH --home DIR --until T` (a new server home
rolled forward with the original GTIDs). Rows A written before T are there; the mistake after T
(A deleted, B inserted) is not."""

from __future__ import annotations

import time

import pytest

from hms.backup.physical import create_physical_backup
from hms.backup.point_in_time import restore_home_until, restore_until
from hms.connection import connect
from hms.server import EmbeddedServer
from tests.support import query
from tests.support.databases import drop_database
from tests.support.physical import (
    DATABASE,
    add_patients,
    add_small_settings,
    hms,
    needs_mariadb_backup,
    patients_named,
)

pytestmark = needs_mariadb_backup


def ask(info, sql: str):
    """The first value of one statement's first row, on a connection of its own."""
    conn = connect(info)
    try:
        return query(conn, sql)[0][0]
    finally:
        conn.close()


def server_now(info) -> str:
    return ask(info, "SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s')")


@pytest.fixture(scope="module")
def story(physical_source, tmp_path_factory):
    """A physical backup; rows A; the moment T; then A deleted and rows B inserted by mistake."""
    directory = tmp_path_factory.mktemp("physical-pitr")
    key = directory / "backup.key"
    made = create_physical_backup(physical_source, directory / "backups", key_file=key)
    add_patients(physical_source, "pitr-a", count=3)
    time.sleep(1.1)
    moment = server_now(physical_source)
    time.sleep(1.1)
    conn = connect(physical_source)
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM patient WHERE first_name = 'pitr-a'")
    finally:
        conn.close()
    add_patients(physical_source, "pitr-b", count=2)
    gtid = ask(physical_source, "SELECT @@gtid_binlog_pos")
    return directory / "backups", key, made, moment, gtid


def test_physical_into_until_has_rows_a_and_not_the_mistake(story, physical_source):
    backups, key, made, moment, _ = story
    assert patients_named(physical_source, DATABASE, "pitr-a") == 0  # the live database has the mistake
    try:
        result = restore_until(physical_source, made.path, "hms_phys_pitr", until=moment, backup_dir=backups,
                               key_file=key)
        assert result.plan.transactions >= 1
        assert patients_named(physical_source, "hms_phys_pitr", "pitr-a") == 3
        assert patients_named(physical_source, "hms_phys_pitr", "pitr-b") == 0
        live = ask(physical_source, f"SELECT COUNT(*) FROM `{DATABASE}`.patient")
        assert ask(physical_source, "SELECT COUNT(*) FROM hms_phys_pitr.patient") == live + 3 - 2
    finally:
        drop_database(physical_source, "hms_phys_pitr")


def test_home_until_rolls_a_new_server_forward_to_the_moment(story, physical_source, new_home):
    backups, key, made, moment, _ = story
    restored, plan, applied = restore_home_until(physical_source, made.path, new_home, until=moment,
                                                 backup_dir=backups, key_file=key, profile="test")
    assert plan.transactions >= 1 and applied is not None
    add_small_settings(new_home)
    server = EmbeddedServer(new_home, profile="test")
    # Started through the CLI, as the user would (and as test_physical_home does).
    started = hms(new_home, "server", "start")
    assert started.returncode == 0, started.stderr
    try:
        info = server.connection_info()
        assert patients_named(info, DATABASE, "pitr-a") == 3
        assert patients_named(info, DATABASE, "pitr-b") == 0
        # The original GTIDs were kept: the new server's log holds the old one's transactions up to T.
        restored_gtid = ask(info, "SELECT @@gtid_binlog_pos")
        assert restored_gtid and restored_gtid.split("-")[:2] == story[4].split("-")[:2]
    finally:
        server.stop()
