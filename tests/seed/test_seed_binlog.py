"""`hms seed` with the binary log on: the bulk load stays out of it unless --log-bin, is refused
while replicas are attached (which then get a logged load), and every load leaves one logged
hms_seed_log row saying whether its rows were logged and between which GTID positions.

On servers of their own (an embedded primary, and a real replica of another), so the binary
log is on and the replica is real whatever server the rest of the suite uses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pymysql
import pytest
from click.testing import CliRunner

from cli import cli
from hms import dialect as dialects
from hms import errcodes
from hms.connection import connect
from hms.databases import console_schema
from hms.errors import DatabaseError
from hms.migrations import Migrator
from hms.server import EmbeddedServer
from hms.server.config import MANAGED_NAME
from hms.service_account import ensure as ensure_service_account
from seed import bulk_load, scale
from seed.generate import Plan
from seed.run import parse_options, run
from tests.support import embedded_home, query, running_server
from tests.support.seeding import AS_OF, SCALE

FOUND = dialects.find_server_binary()
pytestmark = pytest.mark.skipif(FOUND is None, reason="these tests start embedded servers (mariadbd or mysqld)")
DATA_TABLES = (*scale.TABLES, "patient_billing_summary", "hms_seed_chunk")


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def primary():
    with running_server("seedlog") as server:
        yield server


def migrated(server: EmbeddedServer, name: str):
    info = server.connection_info().with_database(name)
    Migrator(info).migrate()
    return info


def options(**kwargs):
    return parse_options(str(SCALE), "7", "1", as_of_text=AS_OF.isoformat(), **kwargs)


def decoded_binlog(server: EmbeddedServer) -> str:
    """Every binary log of the server, row events decoded to ### INSERT INTO lines."""
    files = sorted(str(p) for p in server.binlog_dir.iterdir() if re.fullmatch(r"hms-bin\.\d+", p.name))
    tool = shutil.which("mariadb-binlog" if FOUND[1].is_mariadb else "mysqlbinlog") or "mysqlbinlog"
    return subprocess.run([tool, "--base64-output=decode-rows", "-v", *files], capture_output=True, text=True,
                          errors="replace", timeout=120, check=True).stdout


def row_events(decoded: str, database: str) -> dict[str, int]:
    """INSERTed rows per table of `database` in the decoded binary log."""
    counts: dict[str, int] = {}
    for table in re.findall(rf"^### INSERT INTO `{re.escape(database)}`\.`(\w+)`$", decoded, re.MULTILINE):
        counts[table] = counts.get(table, 0) + 1
    return counts


def seed_log(info) -> list[tuple]:
    conn = connect(info)
    try:
        return query(conn, "SELECT logged, finished_at IS NOT NULL, row_count, gtid_before, gtid_after "
                           "FROM hms_seed_log ORDER BY id")
    finally:
        conn.close()


def test_an_unlogged_load_keeps_its_rows_out_of_the_binary_log(primary):
    info = migrated(primary, "hms_unlogged")
    plan = Plan(7, SCALE, AS_OF)
    result = CliRunner().invoke(cli, ["--quiet", "seed", "--scale", str(SCALE), "--seed", "7", "--workers", "1",
                                      "--as-of", AS_OF.isoformat()],
                                env={"HMS_HOME": str(primary.home), "HMS_DATABASE": info.database,
                                     "HMS_DATABASE_URL": ""}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "not written to the binary log" in result.output and "take a backup now" in result.output
    events = row_events(decoded_binlog(primary), info.database)
    assert [t for t in DATA_TABLES if events.get(t)] == []
    assert events.get("hms_seed_log") == 1          # the log row itself is logged
    [(logged, finished, rows, before, after)] = seed_log(info)
    assert (logged, finished, rows) == (0, 1, sum(plan.counts.values())) and before and after != before
    conn = connect(info)
    try:
        assert query(conn, "SELECT COUNT(*) FROM patient")[0][0] == plan.counts["patient"]
    finally:
        conn.close()


def test_a_load_with_log_bin_writes_every_row(primary):
    info = migrated(primary, "hms_logged")
    result = run(info, options(log_bin=True), quiet=True)
    assert result.logging.logged
    events = row_events(decoded_binlog(primary), info.database)
    conn = connect(info)
    try:
        for table in DATA_TABLES:
            assert events.get(table, 0) == query(conn, f"SELECT COUNT(*) FROM `{table}`")[0][0] > 0, table
    finally:
        conn.close()
    assert [row[:3] for row in seed_log(info)] == [(1, 1, result.rows_loaded)]


def test_the_loader_may_turn_the_binary_log_off_only_for_an_unlogged_load(primary):
    info = migrated(primary, "hms_loader_grants")
    privilege = FOUND[1].unlogged_session_privilege()
    admin = connect(info, database=None)
    try:
        for unlogged in (True, False):
            with bulk_load.LoaderAccount(info, unlogged=unlogged) as login:
                grants = [row[0] for row in query(admin, "SHOW GRANTS FOR hms_loader@'%'")]
                global_grant = [g for g in grants if " ON *.* " in g][0]
                assert (privilege in global_grant) is unlogged, grants
                assert global_grant.startswith(f"GRANT {privilege} ON" if unlogged else "GRANT USAGE ON")
                assert [g for g in grants if " ON *.* " not in g] == [
                    f"GRANT SELECT, INSERT ON `{info.database}`.* TO `hms_loader`@`%`"]
                if unlogged:
                    session = bulk_load.open_loader(login, unlogged=True)
                    assert query(session, "SELECT @@SESSION.sql_log_bin") == [(0,)]
                    session.close()
                else:
                    with pytest.raises(pymysql.err.OperationalError) as excinfo:
                        bulk_load.open_loader(login, unlogged=True)
                    assert excinfo.value.args[0] == errcodes.SPECIFIC_ACCESS_DENIED
        assert query(admin, "SELECT COUNT(*) FROM mysql.user WHERE User = 'hms_loader'") == [(0,)]
    finally:
        admin.close()


def test_a_resumed_load_finishes_its_row_and_is_logged_only_if_every_run_was(primary):
    info = migrated(primary, "hms_resumed")

    def interrupt(chunk):
        if chunk.table == "appointment":
            raise Interrupted()

    with pytest.raises(Interrupted):
        run(info, options(), quiet=True, chunk_rows=1000, on_chunk=interrupt)
    [(logged, finished, rows, before, after)] = seed_log(info)
    assert (logged, finished, rows, after) == (0, 0, None, None) and before
    result = run(info, parse_options(str(SCALE), "7", "1", resume=True, log_bin=True), quiet=True, chunk_rows=1000)
    assert result.chunks_loaded and result.chunks_skipped
    [(logged, finished, rows, again_before, after)] = seed_log(info)
    assert (logged, finished, again_before) == (0, 1, before) and after


def test_an_admin_that_may_not_grant_the_privilege_is_told_and_nothing_changes(primary):
    info = migrated(primary, "hms_limited")
    dialect = FOUND[1]
    password = "Limited-Admin-42!x"
    admin = connect(info, database=None)
    try:
        identified, hashed = dialect.identified(password)
        with admin.cursor() as cur:
            cur.execute(f"CREATE USER hms_t_limited@'localhost' {identified}", (hashed,))
            for schema in (info.database, console_schema(info.database)):
                cur.execute(f"GRANT ALL PRIVILEGES ON `{schema}`.* TO hms_t_limited@'localhost' WITH GRANT OPTION")
            # May create users and see replicas, but holds no privilege to turn the binary log off.
            replicas = "REPLICATION MASTER ADMIN" if dialect.is_mariadb else "REPLICATION SLAVE"
            cur.execute(f"GRANT CREATE USER, {replicas} ON *.* TO hms_t_limited@'localhost'")
        indexes = bulk_load.existing_indexes(admin, info.database)
        with pytest.raises(DatabaseError, match=rf"may not be given {dialect.unlogged_session_privilege()}.*--log-bin"):
            run(info.with_login("hms_t_limited", password), options(), quiet=True)
        assert bulk_load.existing_indexes(admin, info.database) == indexes
        assert query(admin, "SELECT COUNT(*) FROM mysql.user WHERE User = 'hms_loader'") == [(0,)]
        assert query(admin, f"SELECT COUNT(*) FROM `{info.database}`.hms_seed_log") == [(0,)]
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP USER IF EXISTS hms_t_limited@'localhost'")
        admin.close()


# -- with a replica attached ----------------------------------------------------------------

@pytest.fixture
def replicated():
    """A fresh primary and a real replica of it (server_id 2 in its my.cnf); both stopped afterwards."""
    with embedded_home("seedprimary") as primary_home, embedded_home("seedreplica") as replica_home:
        primary, replica = EmbeddedServer(primary_home, profile="test"), EmbeddedServer(replica_home, profile="test")
        replica.config_file.write_text(f"!include {replica.config_file.with_name(MANAGED_NAME)}\n"
                                       "[mysqld]\nserver_id = 2\nread_only = ON\n")
        try:
            primary.start()
            replica.start()
            _attach(primary, replica)
            yield primary, replica
        finally:
            replica.stop()
            primary.stop()


def _attach(primary: EmbeddedServer, replica: EmbeddedServer) -> None:
    source = primary.connection_info()
    password = "Repl-" + primary.home.name + "-Aa1!"
    conn = connect(source, database=None)
    try:
        identified, hashed = dialects.for_connection(conn).identified(password)
        with conn.cursor() as cur:
            cur.execute(f"CREATE USER hms_repl@'127.0.0.1' {identified}", (hashed,))
            cur.execute("GRANT REPLICATION SLAVE ON *.* TO hms_repl@'127.0.0.1'")
            cur.execute("SELECT @@GLOBAL.gtid_binlog_pos")
            position = cur.fetchone()[0]
    finally:
        conn.close()
    conn = connect(replica.connection_info(), database=None)
    try:
        with conn.cursor() as cur:
            # The replica's own first-start statements would clash with the primary's GTIDs.
            cur.execute("RESET MASTER")
            cur.execute("SET GLOBAL gtid_slave_pos = %s", (position,))
            cur.execute("CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = %s, MASTER_USER = 'hms_repl', "
                        "MASTER_PASSWORD = %s, MASTER_USE_GTID = slave_pos", (source.port, password))
            cur.execute("START SLAVE")
    finally:
        conn.close()
    deadline = time.monotonic() + 60
    conn = connect(source, database=None)
    try:
        while not query(conn, "SHOW SLAVE HOSTS"):
            assert time.monotonic() < deadline, "the replica did not register with the primary"
            time.sleep(0.2)
    finally:
        conn.close()


def caught_up(primary: EmbeddedServer, replica: EmbeddedServer) -> None:
    conn = connect(primary.connection_info(), database=None)
    position = query(conn, "SELECT @@GLOBAL.gtid_binlog_pos")[0][0]
    conn.close()
    conn = connect(replica.connection_info(), database=None)
    try:
        assert query(conn, "SELECT MASTER_GTID_WAIT(%s, 120)", (position,)) == [(0,)], \
            query(conn, "SHOW SLAVE STATUS")
    finally:
        conn.close()


@pytest.mark.skipif(FOUND is not None and not FOUND[1].is_mariadb, reason="the replica is set up the MariaDB way")
def test_with_a_replica_attached_an_unlogged_load_is_refused_and_log_bin_reaches_it(replicated):
    primary, replica = replicated
    info = migrated(primary, "hms")
    service = ensure_service_account(info, primary.home, env={})
    with pytest.raises(DatabaseError, match=r"1 replica\(s\) are attached.*Add --log-bin"):
        run(info, options(), quiet=True)
    admin = connect(info)
    try:
        assert [t for t in DATA_TABLES if query(admin, f"SELECT COUNT(*) FROM `{t}`")[0][0]] == []
        assert query(admin, "SELECT COUNT(*) FROM hms_seed_log") == [(0,)]
        assert query(admin, "SELECT COUNT(*) FROM mysql.user WHERE User = 'hms_loader'") == [(0,)]
    finally:
        admin.close()

    run(info, options(log_bin=True), quiet=True)
    caught_up(primary, replica)
    primary_conn, replica_conn = connect(info), connect(replica.connection_info().with_database(info.database))
    try:
        for table in (*DATA_TABLES, "hms_seed_log"):
            count = f"SELECT COUNT(*) FROM `{table}`"
            assert query(replica_conn, count) == query(primary_conn, count) != [(0,)], table
    finally:
        primary_conn.close()
        replica_conn.close()
    # What the replica received (relay log) and logged again holds the service account's hash only.
    received = [p.read_bytes() for p in replica.datadir.iterdir() if p.is_file() and "relay-bin.0" in p.name]
    relogged = [p.read_bytes() for p in replica.binlog_dir.iterdir() if re.fullmatch(r"hms-bin\.\d+", p.name)]
    assert any(b"hms_service" in data for data in received) and any(b"hms_service" in data for data in relogged)
    assert [data for data in received + relogged if service.password.encode() in data] == []
