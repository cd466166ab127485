"""hms against any node: migrate (its lock across nodes, DDL in total order), verify, seed,
users and the console, backup, query."""

from __future__ import annotations

import json
import secrets
import threading
import time

import pymysql
import pytest

from console import create_app
from hms.cluster import Cluster
from hms import tls
from hms.connection import ConnectionInfo, connect, session
from hms.errors import MigrationError
from hms.migrations import Migrator, verify_database
from hms.migrations.lock import LOCK_TABLE
from hms.service_account import SERVICE_USER, read_password
from tests.support import query
from tests.support.cluster import checksums, hms, needs_cluster, node_info
from tests.support.console_client import browser, log_in, logged_in

pytestmark = needs_cluster


def _gcomm_uuid(conn) -> str:
    return query(conn, "SHOW GLOBAL STATUS LIKE 'wsrep_gcomm_uuid'")[0][1]


def _drop(cluster: Cluster, *names: str) -> None:
    with session(node_info(cluster.nodes[0], None)) as conn, conn.cursor() as cur:
        for name in names:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(f"DROP DATABASE IF EXISTS `{name}_console`")


@pytest.fixture
def scratch_db(cluster):
    name = f"hms_c{secrets.token_hex(3)}"
    yield name
    _drop(cluster, name)


def test_the_migration_lock_holds_across_nodes(cluster):
    info1, info2, info3 = (node_info(n) for n in cluster.nodes)
    name = Migrator(info1)._lock_name()
    holder = connect(info1)
    try:
        with holder.cursor() as cur:
            cur.execute(f"INSERT INTO {LOCK_TABLE} (lock_name, holder, node, connection_id, acquired_at, renewed_at) "
                        "VALUES (%s, 'a run on node 1', %s, CONNECTION_ID(), NOW(6), NOW(6))",
                        (name, _gcomm_uuid(holder)))
        for info in (info2, info3):   # GET_LOCK on node 1 would not have stopped these
            with pytest.raises(MigrationError) as refused:
                Migrator(info, with_console=False).migrate(reapply=True)
            assert "another migration of 'hms' is running (held by a run on node 1)" in refused.value.message
    finally:
        holder.close()
    # The holder's session is gone: a run on its node takes the row over, and gives it back.
    Migrator(info1, with_console=False).migrate()
    with session(info3) as conn:
        assert query(conn, f"SELECT COUNT(*) FROM {LOCK_TABLE}") == [(0,)]


def test_a_lock_row_of_a_node_that_left_the_cluster_is_taken_over(cluster):
    info2 = node_info(cluster.nodes[1])
    with session(info2) as conn:
        query(conn, f"INSERT INTO {LOCK_TABLE} (lock_name, holder, node, connection_id, acquired_at, renewed_at) "
                    "VALUES (%s, 'a run on a node since gone', %s, 7, NOW(6), NOW(6))",
              (Migrator(info2)._lock_name(), "00000000-1111-2222-3333-444444444444"))
    Migrator(info2, with_console=False).migrate()
    with session(info2) as conn:
        assert query(conn, f"SELECT COUNT(*) FROM {LOCK_TABLE}") == [(0,)]


def test_two_migrations_started_on_two_nodes_at_once_apply_each_file_once(cluster, scratch_db):
    infos = [node_info(n, scratch_db) for n in cluster.nodes[:2]]
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def run(info) -> None:
        barrier.wait()
        try:
            outcomes.append(len(Migrator(info).migrate().all_applied))
        except MigrationError as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=run, args=(info,)) for info in infos]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [o for o in outcomes if isinstance(o, str)]
    assert all("another migration of" in o for o in refused), outcomes
    with session(infos[0]) as conn:
        files = query(conn, "SELECT file, COUNT(*) FROM hms_schema_history WHERE success GROUP BY file")
    assert files and all(count == 1 for _, count in files)
    # DDL is applied in the same total order on every node (TOI): node 3, which neither run used, matches sql/.
    assert verify_database(node_info(cluster.nodes[2], scratch_db)) == []


def test_accounts_and_console_admins_made_through_one_node_work_on_another(cluster, cluster_home):
    name = f"t_cl_{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(18) + "aA1!"
    made = hms(cluster_home, "users", "create", name, "--role", "analyst", "--password-stdin", stdin=password + "\n")
    assert made.returncode == 0, made.stderr
    try:
        third = cluster.nodes[2]
        node3 = node_info(third)
        with session(node3) as conn:   # a causal read: node 3 has applied the CREATE USER (TOI) by now
            query(conn, "SET SESSION wsrep_sync_wait = 1")
            assert query(conn, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,)) == [(1,)]
        # A remote account requires TLS: it logs in over TCP, verifying node 3's certificate.
        over_tls = ConnectionInfo(user=name, password=password, host="127.0.0.1", port=third.spec.port,
                                  database="hms", ssl_ca=str(tls.files(third.home).ca_cert))
        with session(over_tls) as conn:
            assert query(conn, "SELECT CURRENT_ROLE()") == [("hms_analyst",)]
            assert query(conn, "SHOW SESSION STATUS LIKE 'Ssl_version'")[0][1].startswith("TLS")
        admin = f"adm{secrets.token_hex(3)}"
        admin_password = secrets.token_urlsafe(18) + "aA1!"
        created = hms(cluster_home, "console", "create-admin", admin, "--password-stdin", stdin=admin_password + "\n")
        assert created.returncode == 0, created.stderr
        service = node3.with_login(SERVICE_USER, read_password(cluster_home, env={}))
        app = create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service,
                          "HMS_DATABASE": "hms"})
        client = browser(app)
        log_in(client, admin, admin_password)
        assert logged_in(client)   # the console on node 3 knows the admin made through node 1
    finally:
        assert hms(cluster_home, "users", "drop", name).returncode == 0
    with session(node_info(cluster.nodes[1])) as conn:
        query(conn, "SET SESSION wsrep_sync_wait = 1")
        assert query(conn, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,)) == [(0,)]


@pytest.fixture(scope="module")
def seeded(galera, cluster_home):
    """A database seeded at scale 0.01 by `hms seed` through node 2."""
    name = f"hms_cs{secrets.token_hex(3)}"
    try:
        assert hms(cluster_home, "cluster", "use", "2").returncode == 0
        for args in (["db", "migrate"], ["seed", "--scale", "0.01"]):
            done = hms(cluster_home, "--quiet", "--database", name, *args)
            assert done.returncode == 0, done.stderr
        yield name
    finally:
        assert hms(cluster_home, "cluster", "use", "1").returncode == 0
        _drop(galera, name)


def test_seed_through_one_node_gives_every_node_the_same_data(cluster, cluster_home, seeded):
    per_node = checksums(cluster, seeded)
    assert per_node[0][0]["appointment"] == 60_000
    assert per_node[0] == per_node[1] == per_node[2]
    verified = hms(cluster_home, "--database", seeded, "seed", "verify", "--scale", "0.01")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_queries_run_on_any_node(cluster, cluster_home, seeded):
    try:
        assert hms(cluster_home, "cluster", "use", "3").returncode == 0
        result = hms(cluster_home, "--database", seeded, "query", "appointments_per_doctor", "--format", "json",
                     "--limit", "5")
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)) == 5
    finally:
        assert hms(cluster_home, "cluster", "use", "1").returncode == 0


def test_a_read_lock_on_one_node_does_not_stop_the_others(cluster):
    """FLUSH TABLES WITH READ LOCK desyncs its node (MariaDB does it for Galera), so flow control
    never pauses the cluster for it: the other nodes keep committing."""
    locker = connect(node_info(cluster.nodes[2]))
    try:
        query(locker, "FLUSH TABLES WITH READ LOCK")
        assert cluster.nodes[2].node_status().state == "Donor/Desynced"
        commits, slowest = 0, 0.0
        with session(node_info(cluster.nodes[0])) as conn, conn.cursor() as cur:
            until = time.monotonic() + 3
            while time.monotonic() < until:
                started = time.perf_counter()
                cur.execute("INSERT INTO department (name, location) VALUES (%s, 'FTWRL test')",
                            (f"FTWRL {time.time_ns()}",))
                slowest = max(slowest, time.perf_counter() - started)
                commits += 1
        assert commits > 50 and slowest < 1.0, (commits, slowest)
    finally:
        query(locker, "UNLOCK TABLES")
        locker.close()
    status = cluster.nodes[2].wait_synced(timeout=60)
    assert status.state == "Synced"


def test_backup_of_a_node_restores_to_the_same_data(cluster, cluster_home, tmp_path):
    env_dir = tmp_path / "backups"
    try:
        assert hms(cluster_home, "cluster", "use", "3").returncode == 0
        made = hms(cluster_home, "--quiet", "backup", "create", "--json", env={"HMS_BACKUP_DIR": str(env_dir)})
        assert made.returncode == 0, made.stderr
        path = json.loads(made.stdout)["path"]
        verified = hms(cluster_home, "--quiet", "backup", "verify", path, env={"HMS_BACKUP_DIR": str(env_dir)})
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        assert hms(cluster_home, "cluster", "use", "1").returncode == 0
    assert all(s.synced for s in cluster.status())


def test_every_hms_table_has_a_primary_key(cluster):
    """Galera certifies rows by key: a table without one cannot replicate deletes safely."""
    with session(node_info(cluster.nodes[0], None)) as conn:
        missing = query(conn, """
            SELECT t.TABLE_SCHEMA, t.TABLE_NAME FROM information_schema.TABLES t
             WHERE t.TABLE_SCHEMA IN ('hms', 'hms_console') AND t.TABLE_TYPE = 'BASE TABLE'
               AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c
                                WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
                                  AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')""")
        engines = query(conn, "SELECT DISTINCT ENGINE FROM information_schema.TABLES "
                              "WHERE TABLE_SCHEMA IN ('hms', 'hms_console') AND TABLE_TYPE = 'BASE TABLE'")
    assert missing == []
    assert engines == [("InnoDB",)]


def test_a_table_galera_cannot_replicate_is_refused(cluster):
    """enforce_storage_engine=InnoDB: a MyISAM table would silently not replicate its rows."""
    with session(node_info(cluster.nodes[0])) as conn, pytest.raises(pymysql.err.MySQLError) as refused:
        query(conn, "CREATE TABLE t_myisam (id INT PRIMARY KEY) ENGINE=MyISAM")
    assert refused.value.args[0] == 1290   # NO_ENGINE_SUBSTITUTION: refused, not quietly made InnoDB
