"""The routine ticket on a Galera cluster (2 nodes of their own, ~30 s): connection ids repeat across
nodes, so the ticket's key holds the node's server_id, read as @@GLOBAL.server_id (inside a
transaction on a node with wsrep_gtid_mode the session's @@server_id reads as another node's, and
a lookup by it missed the row the session had just inserted: every other payment on node 2 was
refused, and the two nodes' keys collided). Two sessions with one and the same connection id on
two nodes pay at the same moment: every payment is recorded, none conflicts, no row is left."""

from __future__ import annotations

import threading

import pytest

from hms.cluster import Cluster
from hms.connection import connect
from tests.support import Clinic, embedded_home, query
from tests.support.cluster import hms, needs_cluster, node_info, stop_all

pytestmark = [needs_cluster, pytest.mark.slow]
ROUNDS = 60


@pytest.fixture(scope="module")
def two_nodes():
    with embedded_home("ticket-cluster") as home:
        made = None
        try:
            started = hms(home, "cluster", "start", "--nodes", "2")
            assert started.returncode == 0, started.stderr
            migrated = hms(home, "--quiet", "db", "migrate")
            assert migrated.returncode == 0, migrated.stderr
            made = Cluster.open(home)
            yield made
        finally:
            stop_all(made or Cluster.open_or_none(home))


def _same_connection_id(first, second):
    """A session on each node with one and the same CONNECTION_ID(): ids only grow on a node, so the
    node that is behind opens sessions until the two meet (the others are closed at once)."""
    one, other = connect(first), connect(second)
    while True:
        a, b = (query(conn, "SELECT CONNECTION_ID()")[0][0] for conn in (one, other))
        if a == b:
            return one, other
        if a < b:
            one.close()
            one = connect(first)
        else:
            other.close()
            other = connect(second)


def test_two_nodes_pay_at_once_from_sessions_with_the_same_connection_id(two_nodes):
    first, second = (node_info(node) for node in two_nodes.nodes[:2])
    setup = connect(first)
    clinic = Clinic(setup)
    bills = []
    with setup.cursor() as cur:
        for _ in range(2):
            cur.execute("INSERT INTO billing (patient_id, total_amount, bill_date, due_date) "
                        "VALUES (%s, 0, CURDATE(), CURDATE() + INTERVAL 30 DAY)", (clinic.patient(),))
            bills.append(cur.lastrowid)
            cur.execute("INSERT INTO invoice_line (bill_id, description, unit_price) VALUES (%s, 'Visit', 500)",
                        (bills[-1],))
    setup.close()
    one, other = _same_connection_id(first, second)
    errors: list = []
    barrier = threading.Barrier(2)

    def pay(conn, bill_id):
        barrier.wait()
        for _ in range(ROUNDS):
            try:
                with conn.cursor() as cur:
                    cur.execute("CALL record_payment(%s, 1.00, 'Card', 'two-nodes', NULL, @p)", (bill_id,))
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                errors.append(exc.args)
                conn.rollback()

    try:
        assert query(one, "SELECT CONNECTION_ID()") == query(other, "SELECT CONNECTION_ID()")
        assert query(one, "SELECT @@GLOBAL.server_id") != query(other, "SELECT @@GLOBAL.server_id")
        threads = [threading.Thread(target=pay, args=(conn, bill)) for conn, bill in ((one, bills[0]), (other, bills[1]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for conn in (one, other):
            conn.close()
    assert errors == []
    for node in (first, second):
        check = connect(node)
        try:
            assert query(check, "SELECT bill_id, COUNT(*) FROM payment WHERE reference = 'two-nodes' "
                                "GROUP BY bill_id ORDER BY bill_id") == [(bills[0], ROUNDS), (bills[1], ROUNDS)]
            assert query(check, "SELECT COUNT(*) FROM hms_ticket.routine_ticket") == [(0,)]
        finally:
            check.close()
