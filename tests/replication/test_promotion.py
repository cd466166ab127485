"""Semi-synchronous replication, planned switchover, failover after kill -9 with no
acknowledged booking lost, and the old primary rejoining. The tests share one primary and
semi-sync replica (see conftest.py), in order."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time

import pymysql
import pytest

from hms import cpu_idle
from hms import dialect as dialects
from hms.config import Settings
from hms.connection import connect
from hms.login import admin_login
from tests.support import Clinic, query
from tests.support.replicas import book, future_slots

pytestmark = pytest.mark.skipif(dialects.find_server_binary() is None,
                                reason="the replication tests start their own servers (mariadbd)")

SLOTS = future_slots(300)


@pytest.fixture(scope="module")
def people(semi_pair):
    """A patient and a doctor on the primary, for booking."""
    with contextlib.closing(semi_pair.connect("main")) as conn:
        clinic = Clinic(conn)
        return clinic.patient(), clinic.doctor()


def hms_login(cluster):
    """The login `hms` itself uses in this HMS_HOME: the primary record's."""
    return admin_login(Settings.from_env(env={"HMS_HOME": str(cluster.home)}))


def test_semi_sync_primary_counts_the_replica(semi_pair):
    (primary,) = [s for s in json.loads(semi_pair.ok("replica", "list", "--json").stdout) if s["role"] == "primary"]
    with contextlib.closing(semi_pair.connect("main", None)) as conn:
        assert query(conn, "SELECT @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_master_wait_point") == [
            (1, "AFTER_SYNC")]
        status = dict(query(conn, "SHOW STATUS LIKE 'Rpl_semi_sync_master_%'"))
    assert status["Rpl_semi_sync_master_clients"] == "1" and status["Rpl_semi_sync_master_status"] == "ON"
    assert primary["semi_sync"] is True
    assert "semi-sync on, 1 acknowledging" in semi_pair.ok("replica", "list").stdout
    # It acknowledges every commit of the primary, so it is not lowered like an asynchronous replica.
    (replica,) = [s for s in json.loads(semi_pair.ok("replica", "list", "--json").stdout) if s["name"] == "r1"]
    assert replica["nice"] == primary["nice"] == os.getpriority(os.PRIO_PROCESS, 0)


def test_planned_switchover_and_back_loses_nothing(semi_pair, people):
    patient, doctor = people
    with contextlib.closing(connect(hms_login(semi_pair))) as conn:
        before = book(conn, patient, doctor, next(SLOTS), "before-switch")
    done = semi_pair.ok("replica", "promote", "r1").stdout
    assert "'r1' is the primary" in done and "nothing was lost" in done
    assert semi_pair.primary() == "r1"
    assert hms_login(semi_pair).unix_socket == semi_pair.login("r1").unix_socket
    with contextlib.closing(connect(hms_login(semi_pair))) as conn:
        after = book(conn, patient, doctor, next(SLOTS), "after-switch")
    semi_pair.wait_replicated("main")
    with contextlib.closing(semi_pair.connect("main")) as conn:
        assert query(conn, "SELECT @@read_only") == [(1,)]
        assert query(conn, "SELECT COUNT(*) FROM appointment WHERE appointment_id IN (%s, %s)",
                     (before, after)) == [(2,)]
    if cpu_idle.group() is not None:      # the new primary's clients leave idle CPU, the new replica's enter it
        assert not cpu_idle.is_idle(semi_pair.pid("r1")) and cpu_idle.is_idle(semi_pair.pid("main"))
    listed = semi_pair.ok("replica", "list").stdout.splitlines()
    assert listed[0].startswith("r1  primary") and listed[1].startswith("main  replica") and "semi-sync" in listed[1]
    semi_pair.ok("replica", "promote", "main")
    assert semi_pair.primary() == "main"
    assert semi_pair.ok("replica", "status").stdout.startswith("r1  replica")
    semi_pair.ok("replica", "check")


def test_failover_in_semi_sync_mode_loses_no_acknowledged_booking(semi_pair, people):
    patient, doctor = people
    acknowledged: list[str] = []
    stop = threading.Event()

    def keep_booking() -> None:
        conn = connect(semi_pair.login("main"))
        try:
            n = 0
            while not stop.is_set():
                n += 1
                reason = f"semi-{n}"
                book(conn, patient, doctor, next(SLOTS), reason)
                acknowledged.append(reason)   # the CALL returned: the booking was acknowledged
        except (pymysql.err.MySQLError, OSError):
            return
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    booker = threading.Thread(target=keep_booking)
    booker.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    semi_pair.kill9("main")
    stop.set()
    booker.join(30)
    assert len(acknowledged) >= 50
    promoted = semi_pair.ok("replica", "promote", "--failover").stdout
    assert "'r1' is the primary" in promoted
    assert "semi-synchronous replication" in promoted and "no acknowledged transaction is lost" in promoted
    with contextlib.closing(connect(hms_login(semi_pair))) as conn:
        found = {r for (r,) in query(conn, "SELECT reason FROM appointment WHERE reason LIKE 'semi-%%'")}
        assert set(acknowledged) <= found, sorted(set(acknowledged) - found)[:5]
        # Booking goes on, on the new primary.
        book(conn, patient, doctor, next(SLOTS), "after-failover")
    listed = semi_pair.hms("replica", "status")
    assert listed.exit_code == 1 and "main  fenced" in listed.stdout and "hms replica rejoin main" in listed.stdout


def test_the_old_primary_rejoins_as_a_replica(semi_pair):
    semi_pair.start_main()
    with contextlib.closing(semi_pair.connect("main", None)) as conn:
        assert query(conn, "SELECT @@read_only, @@rpl_semi_sync_slave_enabled") == [(1, 1)]
    rejoined = semi_pair.hms("replica", "rejoin", "main")
    if rejoined.exit_code:
        # A booking in flight at the kill was in its binary log but never acknowledged: say so, rebuild.
        assert "that no replica received before the failover" in rejoined.stderr
        semi_pair.ok("replica", "rejoin", "main", "--rebuild")
    status = semi_pair.ok("replica", "status", "--json")
    (main,) = json.loads(status.stdout)
    assert main["name"] == "main" and main["role"] == "replica" and main["io_running"] and main["sql_running"]
    with contextlib.closing(connect(hms_login(semi_pair))) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO department (name, location) VALUES ('After Rejoin', 'X')")
    semi_pair.wait_replicated("main")
    with contextlib.closing(semi_pair.connect("main")) as conn:
        assert query(conn, "SELECT COUNT(*) FROM department WHERE name = 'After Rejoin'") == [(1,)]
    with contextlib.closing(semi_pair.connect("r1", None)) as conn:
        status = dict(query(conn, "SHOW STATUS LIKE 'Rpl_semi_sync_master_clients'"))
    assert status["Rpl_semi_sync_master_clients"] == "1"
    assert "identical to the primary" in semi_pair.ok("replica", "check").stdout
