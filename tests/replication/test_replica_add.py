"""`hms replica add` on a seeded primary: the copy, what replicates, the read-only fence,
routing, backups from the replica, the consistency check, a broken replica, removal, and an
asynchronous failover. The tests share one primary and replica (see conftest.py), in order."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import subprocess
import time

import pymysql
import pytest

from console import create_app
from hms import cpu_idle
from hms import dialect as dialects
from hms.config import Settings
from hms.connection import connect
from hms.migrations import SQL_ROOT, Migrator
from hms.optionfiles import read_option_file
from hms.passwords import native_hash
from hms.replication import account, priority
from hms.roles import ROLE_NAMES
from tests.support import query, wait_for
from tests.support.console_client import browser, log_in
from tests.support.replicas import SEED_SCALE, book, future_slots

pytestmark = pytest.mark.skipif(dialects.find_server_binary() is None,
                                reason="the replication tests start their own servers (mariadbd)")

READ_ONLY = 1290          # ER_OPTION_PREVENTS_STATEMENT: the server runs with --read-only
NO_TABLE_PRIVILEGE = 1142
SLOTS = future_slots()


def rows(cluster, name, sql, args=None):
    with contextlib.closing(cluster.connect(name)) as conn:
        return query(conn, sql, args)


def test_add_copies_the_seeded_primary_and_keeps_it_read_only(pair):
    counts = "SELECT COUNT(*) FROM patient UNION ALL SELECT COUNT(*) FROM appointment"
    assert rows(pair, "r1", counts) == rows(pair, "main", counts)
    assert rows(pair, "r1", counts)[0][0] > 0
    variables = "SELECT @@read_only, @@server_id, @@innodb_buffer_pool_size, @@log_bin"
    assert rows(pair, "main", variables)[0][:2] == (0, 1)
    read_only, server_id, pool, log_bin = rows(pair, "r1", variables)[0]
    assert (read_only, server_id, log_bin) == (1, 2, 1)
    # The memory rule: replicas share half the primary's buffer pool (128 MiB here), 64 MiB at least.
    assert pool == 64 << 20
    login = account.login_file(pair.home / "replicas" / "r1")
    assert stat.S_IMODE(login.stat().st_mode) == 0o600


def test_status_reports_the_contract_keys_and_exits_0(pair):
    result = pair.ok("replica", "status", "--json")
    (state,) = json.loads(result.stdout)
    assert {"name", "port", "running", "lag_seconds", "io_running", "sql_running", "last_error", "gtid"} <= set(state)
    assert state["name"] == "r1" and state["running"] and state["io_running"] and state["sql_running"]
    assert state["last_error"] is None and state["lag_transactions"] == 0
    assert state["port"] == pair.server("r1").connection_info().port
    listed = pair.ok("replica", "list").stdout.splitlines()
    assert listed[0].startswith("main  primary") and listed[1].startswith("r1  replica") and listed[1].endswith("ok")


def _nice_by_name(cluster) -> dict:
    listed = json.loads(cluster.ok("replica", "list", "--json").stdout)
    return {s["name"]: (s["nice"], s["io_priority"]) for s in listed}


def test_the_replica_yields_cpu_and_io_to_the_primary(pair):
    shown = _nice_by_name(pair)
    assert shown["r1"] == (priority.REPLICA_NICE, "best-effort/7")
    assert shown["main"][0] == os.getpriority(os.PRIO_PROCESS, 0)   # as started: this process's priority
    # Every thread of the replica's server, not only its main one (new threads inherit it).
    pid = pair.pid("r1")
    threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    assert len(threads) > 5
    assert {os.getpriority(os.PRIO_PROCESS, t) for t in threads} == {priority.REPLICA_NICE}
    # Where the kernel schedules by session group, the server's group (a session of its own) too.
    with open("/proc/sys/kernel/sched_autogroup_enabled") as enabled:
        grouped = enabled.read().strip() == "1"
    with open(f"/proc/{pid}/autogroup") as group:
        assert (group.read().split("nice")[1].strip() == str(priority.REPLICA_NICE)) == grouped
    line = pair.ok("replica", "status", "r1").stdout
    assert f"nice {priority.REPLICA_NICE}, ionice best-effort/7" in line


@pytest.mark.skipif(cpu_idle.group() is None,
                    reason="needs root and a writable cgroup file system with the cpu controller")
def test_the_replicas_clients_run_on_idle_cpu_and_its_replication_threads_do_not(pair):
    """A report on the replica takes only CPU time the primary and the replication leave."""
    pid = pair.pid("r1")
    assert cpu_idle.is_idle(pid)            # the main thread: every later connection's thread is born there
    with contextlib.closing(pair.connect("r1")) as conn:
        (tid,), = query(conn, "SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")
        own = query(conn, "SELECT TID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Slave%'")
    assert cpu_idle.is_idle(tid)
    assert len(own) >= 2 and not any(cpu_idle.is_idle(t) for (t,) in own)
    assert not cpu_idle.is_idle(pair.pid("main"))
    assert "clients on idle CPU" in pair.ok("replica", "status", "r1").stdout
    assert json.loads(pair.ok("replica", "status", "r1", "--json").stdout)[0]["clients_idle"] is True


def test_bookings_accounts_and_migrations_arrive(pair, tmp_path):
    patient, doctor = rows(pair, "main", "SELECT MIN(patient_id), MIN(doctor_id) FROM patient, doctor")[0]
    with contextlib.closing(pair.connect("main")) as conn:
        with conn.cursor() as cur:   # a doctor without a weekly template is bookable at any time (issue 16)
            cur.execute("DELETE FROM doctor_availability WHERE doctor_id = %s", (doctor,))
        conn.commit()
        booked = book(conn, patient, doctor, next(SLOTS), "replica-arrives")
    pair.ok("users", "create", "arrived_acc", "--role", "developer")
    sql = tmp_path / "sql"
    shutil.copytree(SQL_ROOT, sql)
    (sql / "schema" / "V900__replica_probe.sql").write_text("CREATE TABLE replica_probe (id INT PRIMARY KEY);\n")
    Migrator(pair.login("main"), sql_root=sql).migrate()
    pair.wait_replicated("r1")
    assert rows(pair, "r1", "SELECT reason FROM appointment WHERE appointment_id = %s", (booked,)) == [
        ("replica-arrives",)]
    assert rows(pair, "r1", "SELECT COUNT(*) FROM mysql.roles_mapping WHERE User = 'arrived_acc' "
                            "AND Role = 'hms_developer'") == [(1,)]
    assert rows(pair, "r1", "SELECT COUNT(*) FROM hms_schema_history WHERE file LIKE %s",
                ("%V900__replica_probe.sql",)) == [(1,)]
    assert rows(pair, "r1", "SELECT COUNT(*) FROM replica_probe") == [(0,)]


def test_a_seed_reaches_the_replica_only_through_the_binary_log(pair):
    pair.ok("--database", "hms_seeded", "db", "migrate")
    refused = pair.hms("--database", "hms_seeded", "seed", "--scale", SEED_SCALE, "--seed", "3")
    port = pair.server("r1").connection_info().port
    assert refused.exit_code == 1 and f"1 replica(s) are attached (127.0.0.1:{port})" in refused.stderr
    pair.ok("--database", "hms_seeded", "seed", "--scale", SEED_SCALE, "--seed", "3", "--log-bin")
    pair.wait_replicated("r1")
    count = "SELECT COUNT(*) FROM hms_seeded.appointment"
    assert rows(pair, "r1", count) == rows(pair, "main", count) and rows(pair, "r1", count)[0][0] > 0


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_hms_role_is_refused_writes_on_the_replica(pair, role):
    name, password = f"w_{role}", "Repl1ca-Write!Test"
    doctor = ["--doctor-id", str(rows(pair, "main", "SELECT MIN(doctor_id) FROM doctor")[0][0])] if role == "doctor" else []
    pair.ok("users", "create", name, "--role", role, *doctor, "--password-stdin", stdin=password + "\n")
    pair.wait_replicated("r1")
    writes = ["INSERT INTO department (name, location) VALUES (%s, 'Block R')",
              "UPDATE department SET location = 'Moved' WHERE name = %s"]
    for statement in writes:
        with contextlib.closing(connect(pair.tcp("r1", name, password))) as conn, conn.cursor() as cur:
            with pytest.raises(pymysql.err.MySQLError) as excinfo:
                cur.execute(statement, (f"Dept {role}",))
            allowed_on_primary = role in ("admin", "developer", "dba") or (role == "qa" and "INSERT" in statement)
            refused = (READ_ONLY,) if allowed_on_primary else (READ_ONLY, NO_TABLE_PRIVILEGE)
            assert excinfo.value.args[0] in refused, excinfo.value
    if role in ("admin", "developer", "dba", "qa"):
        # The same account writes on the primary: the refusal above is the replica's fence.
        with contextlib.closing(connect(pair.tcp("main", name, password))) as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO department (name, location) VALUES (%s, 'Block P')", (f"Dept {role}",))
    if role == "dba":
        with contextlib.closing(connect(pair.tcp("r1", name, password))) as conn, conn.cursor() as cur:
            with pytest.raises(pymysql.err.MySQLError):
                cur.execute("SET GLOBAL read_only = OFF")
    assert rows(pair, "r1", "SELECT @@read_only") == [(1,)]


def test_console_service_account_cannot_change_accounts_on_the_replica(pair):
    service_password = read_option_file(pair.home / "service.cnf")["password"]
    with contextlib.closing(connect(pair.tcp("r1", "hms_service", service_password, None))) as conn, conn.cursor() as cur:
        with pytest.raises(pymysql.err.OperationalError) as excinfo:
            cur.execute("CALL hms_console.account_create('sneaky', '%%', 'hms_analyst', %s)",
                        (native_hash("Sneaky-Passw0rd!"),))
        assert "read-only (a replica)" in excinfo.value.args[1]
        with pytest.raises(pymysql.err.OperationalError) as excinfo:
            cur.execute("INSERT INTO hms_console.audit_log (actor, action) VALUES ('x', 'y')")
        assert excinfo.value.args[0] in (READ_ONLY, NO_TABLE_PRIVILEGE)
    assert rows(pair, "r1", "SELECT COUNT(*) FROM mysql.user WHERE User = 'sneaky'") == [(0,)]


def test_account_elevate_writes_no_ticket_on_the_replica(pair):
    # A console admin enrolled on the primary (it replicates), with a key we know.
    key = os.urandom(32)
    with contextlib.closing(pair.connect("main", "hms_console")) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO console_admin (username, password_hash) VALUES ('elevator', 'x')")
        admin_id = cur.lastrowid
        cur.execute("INSERT INTO admin_elevation (admin_id, salt, verifier) VALUES (%s, %s, SHA2(%s, 256))",
                    (admin_id, "0" * 32, key))
    pair.wait_replicated("r1")
    service_password = read_option_file(pair.home / "service.cnf")["password"]
    call = "CALL hms_console.account_elevate(%s, %s)"
    with contextlib.closing(connect(pair.tcp("r1", "hms_service", service_password, None))) as conn, \
            conn.cursor() as cur:
        with pytest.raises(pymysql.err.OperationalError) as excinfo:
            cur.execute(call, (admin_id, key.hex()))
        assert "read-only (a replica): manage accounts on the primary" in excinfo.value.args[1]
    assert rows(pair, "r1", "SELECT COUNT(*) FROM hms_console.elevation_ticket WHERE admin_id = %s",
                (admin_id,)) == [(0,)]
    # The same key is good on the primary: the refusal above was the replica's, not the key's.
    with contextlib.closing(connect(pair.tcp("main", "hms_service", service_password, None))) as conn, \
            conn.cursor() as cur:
        cur.execute(call, (admin_id, key.hex()))
        assert rows(pair, "main", "SELECT COUNT(*) FROM hms_console.elevation_ticket WHERE admin_id = %s",
                    (admin_id,)) == [(1,)]


def test_replication_password_is_in_no_binary_log_or_server_log(pair):
    password = account.read_password(pair.home)
    assert password and password == account.read_password(pair.home / "replicas" / "r1")
    binlogs = sorted((pair.home / "binlog").glob("hms-bin.0*"))
    decoded = subprocess.run([dialects.binlog_binary(dialects.MARIADB), *map(str, binlogs)],
                             capture_output=True, text=True, check=True).stdout
    assert "IDENTIFIED BY PASSWORD '" + native_hash(password) in decoded
    assert password not in decoded
    for home in (pair.home, pair.home / "replicas" / "r1"):
        for log in ("error.log", "server.out"):
            if (home / log).is_file():
                assert password not in (home / log).read_text(errors="replace")
    grants = rows(pair, "main", "SHOW GRANTS FOR 'hms_replication'@'127.0.0.1'")
    assert grants[0][0].startswith("GRANT REPLICATION SLAVE ON *.* TO")
    assert len(grants) == 1


def test_query_reads_from_the_replica_unless_primary_is_asked(pair):
    # A department only the replica holds (written there by hand, outside the binary log)
    # shows which server `hms query` read.
    with contextlib.closing(pair.connect("r1")) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("INSERT INTO department (name, location) VALUES ('Only On Replica', 'R')")
    try:
        routed = pair.ok("query", "medication_types_per_department", "--format", "csv")
        direct = pair.ok("query", "medication_types_per_department", "--format", "csv", "--primary")
        assert "Only On Replica" in routed.stdout
        assert "Only On Replica" not in direct.stdout
        assert len(routed.stdout.splitlines()) == len(direct.stdout.splitlines()) + 1
    finally:
        with contextlib.closing(pair.connect("r1")) as conn, conn.cursor() as cur:
            cur.execute("SET SESSION sql_log_bin = 0")
            cur.execute("DELETE FROM department WHERE name = 'Only On Replica'")


def test_query_falls_back_to_the_primary_when_the_replica_is_stopped(pair):
    pair.ok("replica", "stop", "r1")
    try:
        assert pair.hms("replica", "status").exit_code == 1
        result = pair.ok("query", "doctors_by_department", "--limit", "3", "--format", "csv")
        assert len(result.stdout.splitlines()) == 4
    finally:
        pair.ok("replica", "start", "r1")
    assert pair.ok("replica", "status").stdout.rstrip().endswith("ok")
    assert _nice_by_name(pair)["r1"] == (priority.REPLICA_NICE, "best-effort/7")   # restarted: lowered again


def test_users_show_gives_an_analyst_the_replica_address(pair):
    pair.ok("users", "create", "reader", "--role", "analyst")
    port = pair.server("r1").connection_info().port
    shown = pair.ok("users", "show", "reader").stdout
    assert f"reads from:    127.0.0.1:{port} (replica 'r1', read-only)" in shown
    assert json.loads(pair.ok("users", "show", "reader", "--json").stdout)["read_from"].startswith(f"127.0.0.1:{port}")
    assert "reads from" not in pair.ok("users", "show", "arrived_acc").stdout   # a developer writes: primary


def test_console_account_page_gives_an_analyst_the_replica_address(pair):
    pair.ok("users", "create", "console_reader", "--role", "analyst")
    admin_password = "Console-V1ewer!Pass"
    pair.ok("console", "create-admin", "viewer", "--password-stdin", stdin=admin_password + "\n")
    service = pair.tcp("main", "hms_service", read_option_file(pair.home / "service.cnf")["password"], None)
    app = create_app({"TESTING": True, "SECRET_KEY": os.urandom(16).hex(), "HMS_SERVICE_LOGIN": service,
                      "HMS_DATABASE": "hms", "HMS_SETTINGS": Settings(home=pair.home)})
    client = browser(app)
    assert log_in(client, "viewer", admin_password).status_code == 302
    port = pair.server("r1").connection_info().port
    page = client.get("/accounts/console_reader/%25").get_data(as_text=True)
    shown = f"127.0.0.1:{port} (replica &#39;r1&#39;, read-only)"
    assert f'<dt>Reads from</dt><dd class="reads-from">{shown}</dd>' in page
    developer = client.get("/accounts/arrived_acc/%25")
    assert developer.status_code == 200 and "Reads from" not in developer.get_data(as_text=True)


def test_backup_from_replica_records_where_and_at_which_gtid(pair):
    pair.wait_replicated("r1")
    gtid = pair.gtid("r1")
    made = json.loads(pair.ok("backup", "create", "--from-replica", "r1", "--json").stdout)
    assert made["taken_from"]["replica"] == "r1" and made["taken_from"]["gtid"] == gtid
    manifest = json.loads((pair.backup_dir / (made["name"][: -len(".sql.gz")] + ".json")).read_text())
    assert manifest["taken_from"] == made["taken_from"] and manifest["mac"]
    listed = pair.ok("backup", "list").stdout
    assert made["name"] in listed and listed.rstrip().endswith("ok")
    assert rows(pair, "r1", "SELECT 1 FROM DUAL WHERE @@gtid_slave_pos IS NOT NULL") == [(1,)]
    (state,) = json.loads(pair.ok("replica", "status", "r1", "--json").stdout)
    assert state["sql_running"], "the replica's SQL thread was not restarted after the backup"


def test_point_in_time_recovery_works_from_a_replica_backup(pair):
    made = json.loads(pair.ok("backup", "create", "--from-replica", "r1", "--json").stdout)
    # The snapshot's place in the primary's binary log, where the roll-forward starts.
    assert made["binlog"]["gtid"] == made["taken_from"]["gtid"]
    with contextlib.closing(pair.connect("main")) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO department (name, location) VALUES ('After The Replica Backup', 'P')")
        cur.execute("SELECT @@last_gtid")
        wanted = cur.fetchone()[0]
        cur.execute("INSERT INTO department (name, location) VALUES ('Too Late', 'P')")
    pair.ok("backup", "restore", made["path"], "--into", "hms_from_replica", "--until-gtid", wanted)
    names = {name for (name,) in rows(pair, "main", "SELECT name FROM hms_from_replica.department")}
    assert "After The Replica Backup" in names and "Too Late" not in names
    assert len(names) == rows(pair, "main", "SELECT COUNT(*) FROM department")[0][0] - 1


def _delay(pair, seconds: int) -> None:
    """Make r1 apply each transaction `seconds` after the primary committed it; return once
    its I/O thread is connected again (right after START SLAVE it is still "Connecting",
    which `hms replica status` rightly reports as not replicating)."""
    with contextlib.closing(pair.connect("r1", None)) as conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("STOP SLAVE")
        cur.execute("CHANGE MASTER TO MASTER_DELAY = %s", (seconds,))
        cur.execute("START SLAVE")

        def io_connected() -> bool:
            cur.execute("SHOW SLAVE STATUS")
            return cur.fetchone()["Slave_IO_Running"] == "Yes"

        wait_for(io_connected, 30, "r1's I/O thread connecting after START SLAVE", interval=0.1)


def test_check_reads_a_lagging_replica_at_the_primarys_snapshot(pair):
    _delay(pair, 2)     # the replica applies each transaction 2 s after the primary committed it
    try:
        with contextlib.closing(pair.connect("main")) as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO department (name, location) VALUES ('Behind', 'P')")
        assert rows(pair, "r1", "SELECT COUNT(*) FROM department WHERE name = 'Behind'") == [(0,)]
        started = time.monotonic()
        checked = pair.ok("replica", "check", "r1")
        assert "r1: identical to the primary" in checked.stdout
        assert time.monotonic() - started < 30
        assert rows(pair, "r1", "SELECT COUNT(*) FROM department WHERE name = 'Behind'") == [(1,)]
    finally:
        _delay(pair, 0)
    (state,) = json.loads(pair.ok("replica", "status", "r1", "--json").stdout)
    assert state["sql_running"] and state["io_running"]


def test_check_finds_a_row_changed_by_hand(pair):
    pair.ok("replica", "check", "r1")
    with contextlib.closing(pair.connect("r1")) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("UPDATE patient SET city = 'Changed By Hand' ORDER BY patient_id LIMIT 1")
    found = pair.hms("replica", "check", "r1")
    assert found.exit_code == 1
    assert "r1: hms: table patient: same row count but different contents" in found.stdout
    assert "differ from the primary" in found.stderr
    assert "table appointment" not in found.stdout
    pair.ok("replica", "rejoin", "r1", "--rebuild")
    assert "identical to the primary" in pair.ok("replica", "check", "r1").stdout


def test_a_broken_replica_is_one_clear_line_and_exit_1(pair):
    with contextlib.closing(pair.connect("r1")) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("INSERT INTO department (name, location) VALUES ('Conflict', 'R')")
    with contextlib.closing(pair.connect("main")) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO department (name, location) VALUES ('Conflict', 'P')")
    for _ in range(100):
        status = pair.hms("replica", "status")
        if status.exit_code:
            break
    assert status.exit_code == 1
    (line,) = status.stdout.splitlines()
    assert line.startswith("r1  replica") and "sql No" in line
    assert "BROKEN: SQL thread stopped: error 1062" in line
    assert "`hms replica rejoin r1 --rebuild`" in line
    state = json.loads(pair.hms("replica", "status", "--json").stdout)[0]
    assert state["sql_running"] is False and "1062" in state["last_error"]
    pair.ok("replica", "rejoin", "r1", "--rebuild")
    assert pair.ok("replica", "status").stdout.rstrip().endswith("ok")
    pair.ok("replica", "check")


def test_bad_input_is_refused_in_one_line_and_changes_nothing(pair):
    for args, said in ((("add", "Bad-Name"), "not a valid replica name"),
                       (("add", "r1"), "already names a server"),
                       (("remove", "main"), "is the primary"),
                       (("promote", "nobody"), "no replica called 'nobody'"),
                       (("rejoin", "main"), "is the primary")):
        result = pair.hms("replica", *args)
        assert result.exit_code == 1 and said in result.stderr, result.output
        assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(pair.topology().members) == ["main", "r1"]
    assert not (pair.home / "replicas" / "Bad-Name").exists()


def test_a_failed_add_leaves_nothing_behind(pair):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = pair.hms("replica", "add", "r3", "--port", str(port))
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1, result.output
    assert not (pair.home / "replicas" / "r3").exists()
    assert sorted(pair.topology().members) == ["main", "r1"]
    assert pair.ok("replica", "status").stdout.startswith("r1  replica")


def test_remove_deletes_a_replica_and_its_home(pair):
    pair.ok("replica", "add", "r2")
    home = pair.home / "replicas" / "r2"
    pid = pair.pid("r2")
    assert pid and home.is_dir()
    pair.ok("replica", "remove", "r2")
    assert not home.exists() and sorted(pair.topology().members) == ["main", "r1"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert pair.ok("replica", "status").stdout.startswith("r1  replica")


def test_async_failover_states_the_possible_loss_and_the_old_primary_is_rebuilt(pair):
    with contextlib.closing(pair.connect("r1")) as conn, conn.cursor() as cur:
        cur.execute("STOP SLAVE IO_THREAD")
    with contextlib.closing(pair.connect("main")) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO department (name, location) VALUES ('Never Replicated', 'P')")
    pair.kill9("main")
    with contextlib.closing(pair.connect("r1")) as conn, conn.cursor() as cur:
        cur.execute("START SLAVE IO_THREAD")
    promoted = pair.ok("replica", "promote", "--failover").stdout
    assert "'r1' is the primary" in promoted
    assert "asynchronous replication: 'main' may have committed transactions after" in promoted
    assert pair.primary() == "r1"
    # `hms` of this HMS_HOME reaches the new primary.
    pair.ok("users", "create", "after_failover", "--role", "qa")
    assert rows(pair, "r1", "SELECT COUNT(*) FROM mysql.user WHERE User = 'after_failover'") == [(1,)]
    pair.start_main()
    assert rows(pair, "main", "SELECT @@read_only") == [(1,)]   # fenced by its role.cnf
    refused = pair.hms("replica", "rejoin", "main")
    assert refused.exit_code == 1 and "'main' holds 1 transaction(s)" in refused.stderr
    assert "--rebuild" in refused.stderr
    pair.ok("replica", "rejoin", "main", "--rebuild")
    assert "identical to the primary" in pair.ok("replica", "check", "main").stdout
    assert rows(pair, "main", "SELECT COUNT(*) FROM department WHERE name = 'Never Replicated'") == [(0,)]
    assert rows(pair, "main", "SELECT COUNT(*) FROM mysql.user WHERE User = 'after_failover'") == [(1,)]
    assert list((pair.home).glob("before-rebuild-*/binlog/hms-bin.0*"))   # the lost transaction is kept
    # The promoted replica has the primary's priority back (raising one needs root); the
    # rejoined old primary yields.
    shown = _nice_by_name(pair)
    assert shown["main"] == (priority.REPLICA_NICE, "best-effort/7")
    assert shown["r1"] == ((0, "best-effort/4") if os.geteuid() == 0 else (priority.REPLICA_NICE, "best-effort/7"))
