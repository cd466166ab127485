"""Losing nodes: one killed during a booking storm, two of three killed, every node stopped."""

from __future__ import annotations

import time


from hms.cluster import NodeNotPrimary, grastate
from hms.cluster.booking import book
from hms.connection import connect, session
from tests.support import query, wait_for
from tests.support.cluster import (BookingStorm, errors, checksums, double_bookings, far_slots, hms, kinds, needs_cluster,
                                   node_info)

pytestmark = needs_cluster


def test_a_node_killed_during_a_booking_storm_rejoins_with_identical_data(cluster, rows):
    storm = BookingStorm(cluster.nodes, rows["doctors"], rows["patients"], far_slots(3000)).start()
    try:
        time.sleep(3)
        killed_at = time.monotonic()
        assert cluster.nodes[2].kill() is not None          # kill -9 during the storm
        time.sleep(8)
    finally:
        outcomes = storm.stop()
    assert errors(outcomes) == []
    for survivor in (1, 2):   # bookings went on, on both other nodes, after the kill
        after = kinds(outcomes, survivor, after=killed_at + 1)
        assert after.get("booked", 0) > 5 and after.get("taken", 0) > 5, after
    assert kinds(outcomes, 3, after=killed_at + 1).get("booked", 0) == 0
    rejoin = cluster.restart_node(3)
    assert rejoin.method == "IST"    # the write-set cache still held everything it missed
    sums = checksums(cluster)
    assert sums[0] == sums[1] == sums[2]
    for node in cluster.nodes:
        assert double_bookings(node) == []


def test_two_of_three_killed_leaves_a_survivor_that_refuses_writes_until_one_returns(cluster, cluster_home, rows):
    first, second, third = cluster.nodes
    second.kill()
    third.kill()
    wait_for(lambda: not first.node_status().primary, 30, "node 1 leaving the primary component")
    conn = connect(node_info(first))
    try:
        try:
            book(conn, rows["patients"][0], rows["doctors"][2], far_slots(1)[0])
            raise AssertionError("a non-primary node took a booking")
        except NodeNotPrimary as refused:
            assert "is not in the primary component" in refused.message
    finally:
        conn.close()
    written = hms(cluster_home, "db", "migrate")
    assert written.returncode == 1
    assert written.stderr.strip().splitlines() == [
        "Error: the cluster node at the address hms used is not in the primary component (it lost contact with "
        "the majority of the cluster, or is still joining), so it refuses reads and writes. Run the command against "
        "a node of the primary component (`hms cluster status` lists them), or bring the missing nodes back "
        "(`hms cluster start`)."]
    status = hms(cluster_home, "cluster", "status")
    assert status.returncode == 1 and "NO" in status.stdout and status.stdout.count("down") == 2
    back = hms(cluster_home, "cluster", "restart-node", "2")   # primary component re-formed, node 2 joins it
    assert back.returncode == 0, back.stderr
    assert first.node_status().primary and second.node_status().synced
    with session(node_info(first)) as conn:
        booked = book(conn, rows["patients"][0], rows["doctors"][2], far_slots(1)[0])
    assert booked.appointment_id
    assert hms(cluster_home, "cluster", "restart-node", "3").returncode == 0
    assert [s.cluster_size for s in cluster.status()] == [3, 3, 3]


def test_cold_start_bootstraps_from_the_most_advanced_node_and_stop_leaves_positions(cluster, cluster_home):
    first, second, third = cluster.nodes
    first.stop()
    third.stop()
    with session(node_info(second)) as conn:   # written while node 2 was the whole cluster
        query(conn, "INSERT INTO department (name, location) VALUES ('Only node 2 saw this', 'Cold start')")
    second.kill()   # and it crashed: its grastate.dat says seqno -1
    assert grastate.read_grastate(second.datadir, 2).seqno == -1
    grastate.set_safe_to_bootstrap(first.datadir)   # a stale node wrongly marked safe, as by hand
    started = hms(cluster_home, "cluster", "start")
    assert started.returncode == 0, started.stderr
    assert "node 2: most advanced" in started.stdout and "node 2: bootstrapped" in started.stdout
    for node in cluster.nodes:
        with session(node_info(node)) as conn:
            query(conn, "SET SESSION wsrep_sync_wait = 1")
            assert query(conn, "SELECT COUNT(*) FROM department WHERE name = 'Only node 2 saw this'") == [(1,)]
    assert all(s.synced and s.cluster_size == 3 for s in cluster.status())
    stopped = hms(cluster_home, "cluster", "stop")
    assert stopped.returncode == 0 and "stopped 3 node(s)" in stopped.stdout
    assert not any(node.is_running() for node in cluster.nodes)
    states = [grastate.read_grastate(node.datadir, node.number) for node in cluster.nodes]
    seqnos = [s.seqno for s in states]
    assert min(seqnos) > 0 and seqnos[0] == max(seqnos)   # clean stops record positions; node 1 left last,
    assert [s.safe_to_bootstrap for s in states] == [True, False, False]   # so it alone may bootstrap
