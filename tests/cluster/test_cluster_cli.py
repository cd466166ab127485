"""`hms cluster`: start, status, use, restart-node and its errors, on a real 3-node cluster."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

from hms.cluster import sst
from hms.connection import session
from hms.optionfiles import read_option_file
from tests.support import query
from tests.support.cluster import hms, needs_cluster, node_info

pytestmark = needs_cluster

STATUS_KEYS = {"node", "port", "state", "cluster_size", "primary", "ready"}


def _pid_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


def test_status_json_shows_three_synced_nodes_in_the_primary_component(cluster, cluster_home):
    result = hms(cluster_home, "cluster", "status", "--json")
    assert result.returncode == 0, result.stderr
    nodes = json.loads(result.stdout)
    assert [n["node"] for n in nodes] == [1, 2, 3]
    for node in nodes:
        assert STATUS_KEYS <= node.keys()
        assert (node["state"], node["cluster_size"], node["primary"], node["ready"]) == ("Synced", 3, True, True)
        assert "flow_control_paused" in node
    assert len({n["port"] for n in nodes}) == 3
    table = hms(cluster_home, "cluster", "status")
    assert table.returncode == 0 and table.stdout.count("Synced") == 3


def test_nodes_run_unprivileged_and_the_state_transfer_login_stays_private(cluster, cluster_home):
    import pwd

    mysql_uid = pwd.getpwnam("mysql").pw_uid if os.geteuid() == 0 else os.geteuid()
    password = sst.sst_password(cluster.directory)
    for node in cluster.nodes:
        pid = node.pid()
        assert _pid_uid(pid) == mysql_uid
        galera_cnf = node.home / "galera.cnf"
        info = galera_cnf.stat()
        assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == mysql_uid
        assert password in galera_cnf.read_text()   # where the server reads it, and only there
        assert password.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        assert password not in node.log_file.read_text(errors="replace")
        for logged in [*(node.home / "binlog").glob("hms-bin.0*"), *(node.home / "audit").glob("*")]:
            assert password.encode() not in logged.read_bytes()   # binary log, access audit
    assert stat.S_IMODE((cluster.directory / sst.SST_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((cluster_home / "client.cnf").stat().st_mode) == 0o600
    with session(node_info(cluster.nodes[2], None)) as conn:
        grants = " ".join(row[0] for row in query(conn, "SHOW GRANTS FOR 'hms_sst'@'localhost'"))
    assert "RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.*" in grants
    assert "ALL PRIVILEGES" not in grants and "SUPER" not in grants


def test_start_again_leaves_a_running_cluster_as_it_is(cluster, cluster_home):
    pids = [node.pid() for node in cluster.nodes]
    again = hms(cluster_home, "cluster", "start")
    assert again.returncode == 0, again.stderr
    assert [node.pid() for node in cluster.nodes] == pids


def test_hms_commands_reach_the_cluster_through_the_node_named(cluster, cluster_home):
    try:
        switched = hms(cluster_home, "cluster", "use", "2")
        assert switched.returncode == 0, switched.stderr
        assert int(read_option_file(cluster_home / "client.cnf")["port"]) == cluster.nodes[1].spec.port
        verified = hms(cluster_home, "db", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "matches sql/" in verified.stdout
    finally:
        assert hms(cluster_home, "cluster", "use", "1").returncode == 0


def test_restart_node_rejoins_by_incremental_transfer_while_writes_go_on(cluster, cluster_home, rows):
    stop = threading.Event()
    written = []

    def write() -> None:
        with session(node_info(cluster.nodes[0])) as conn, conn.cursor() as cur:
            while not stop.is_set():
                cur.execute("INSERT INTO department (name, location) VALUES (%s, 'IST test')",
                            (f"IST {time.time_ns()}",))
                written.append(cur.lastrowid)
                time.sleep(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        result = hms(cluster_home, "cluster", "restart-node", "3")
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    assert "rejoined by incremental state transfer (IST)" in result.stdout
    with session(node_info(cluster.nodes[2])) as conn:
        query(conn, "SET SESSION wsrep_sync_wait = 1")   # a causal read: node 3 has applied all before it
        assert query(conn, "SELECT COUNT(*) FROM department WHERE location = 'IST test'") == [(len(written),)]


def test_mistakes_get_one_line_and_exit_1(cluster, cluster_home, tmp_path):
    unknown = hms(cluster_home, "cluster", "restart-node", "9")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "Error: the cluster has no node 9. Use a node number from 1 to 3 (`hms cluster status` lists them)."]
    resized = hms(cluster_home, "cluster", "start", "--nodes", "5")
    assert resized.returncode == 1 and len(resized.stderr.strip().splitlines()) == 1
    assert "already holds a cluster of 3 nodes" in resized.stderr
    empty = hms(tmp_path, "cluster", "status")
    assert empty.returncode == 1 and "no cluster in" in empty.stderr and "Traceback" not in empty.stderr


def test_every_cluster_command_has_help_with_an_example(cluster_home):
    for command in ("start", "stop", "status", "restart-node", "use"):
        result = hms(cluster_home, "cluster", command, "--help")
        assert result.returncode == 0 and "Example:" in result.stdout
