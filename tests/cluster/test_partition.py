"""A real network partition: three nodes as three hosts in network namespaces made here.

Loopback ports cannot be cut apart, so each node runs in a namespace of its own (`ip netns
exec`), with one veth into a bridge that lives in a fourth namespace; 10.x addresses exist
only inside them. Taking node 3's link down at the bridge isolates it: it must turn
non-primary and refuse writes with hms's message, while nodes 1 and 2 (the majority) keep
booking; bringing the link up must return it to Synced with identical data. Every node is
stopped and every namespace (with its veths and the bridge) deleted afterwards, even on failure.
"""

from __future__ import annotations

import os
import time

import pytest

from hms.cluster import Cluster, Layout, NodeNotPrimary, NodeSpec
from hms.cluster.booking import book
from hms.connection import session
from hms.migrations import Migrator
from tests.support import embedded_home, query, wait_for
from tests.support.cluster import (BookingStorm, errors, Namespaces, checksums, clinic_rows, double_bookings, far_slots, hms,
                                   kinds, namespaces_left, needs_cluster, node_info, stop_all)

pytestmark = [needs_cluster,
              pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root (ip netns add)")]

# In its own namespace every node listens where a real host's would.
CLIENT, GALERA, IST, SST = 3306, 4567, 4568, 4444


@pytest.fixture(scope="module")
def partitionable():
    """(cluster, namespaces, home): three nodes, one per namespace, migrated, with a few doctors and patients."""
    with embedded_home("partition") as home:
        namespaces = Namespaces(3)
        cluster = None
        try:
            with namespaces:
                layout = Layout(tuple(NodeSpec(k, namespaces.address(k), CLIENT, GALERA, IST, SST,
                                               netns=namespaces.node_ns(k)) for k in (1, 2, 3)))
                cluster = Cluster.create(home, layout)
                try:
                    cluster.start()
                    Migrator(node_info(cluster.nodes[0])).migrate()
                    yield cluster, namespaces, home
                finally:
                    stop_all(cluster)
        finally:
            assert namespaces_left(namespaces.tag) == []


def test_an_isolated_node_refuses_writes_and_returns_with_identical_data(partitionable):
    cluster, namespaces, home = partitionable
    first, second, third = cluster.nodes
    assert [s.cluster_size for s in cluster.status()] == [3, 3, 3]
    assert {s.address for s in cluster.status()} == {namespaces.address(k) for k in (1, 2, 3)}
    rows = clinic_rows(first)
    storm = BookingStorm(cluster.nodes, rows["doctors"], rows["patients"], far_slots(3000)).start()
    try:
        time.sleep(2)
        namespaces.cut(3)
        wait_for(lambda: not third.node_status().primary, 60, "node 3 turning non-primary")
        wait_for(lambda: first.node_status().cluster_size == 2, 60, "nodes 1 and 2 forming a component of 2")
        isolated_at = time.monotonic()
        assert first.node_status().primary and second.node_status().primary
        with session(node_info(third)) as conn:
            with pytest.raises(NodeNotPrimary) as refused:
                book(conn, rows["patients"][0], rows["doctors"][0], far_slots(1)[0])
        assert "is not in the primary component" in refused.value.message
        assert hms(home, "cluster", "use", "3").returncode == 0
        through_third = hms(home, "db", "migrate")
        assert through_third.returncode == 1 and "is not in the primary component" in through_third.stderr
        assert len(through_third.stderr.strip().splitlines()) == 1
        time.sleep(4)
        namespaces.heal(3)
        wait_for(lambda: third.node_status().synced and third.node_status().cluster_size == 3, 120,
                 "node 3 returning to Synced in a cluster of 3")
        time.sleep(1)
    finally:
        outcomes = storm.stop()
        hms(home, "cluster", "use", "1")
    assert errors(outcomes) == []
    for majority in (1, 2):   # the two others kept booking while node 3 was cut off
        during = kinds(outcomes, majority, after=isolated_at)
        assert during.get("booked", 0) > 0, during
    assert kinds(outcomes, 3, after=isolated_at).get("not primary", 0) > 0
    sums = checksums(cluster)
    assert sums[0] == sums[1] == sums[2]
    for node in cluster.nodes:
        assert double_bookings(node) == []
    with session(node_info(third)) as conn:
        assert query(conn, "SELECT COUNT(*) FROM appointment WHERE reason = 'storm'")[0][0] > 0
