"""Two nodes booking the same slot at once: one booking, one refusal, never two bookings.

Galera decides such a race by certification: the write set committed first wins, and the
other node's transaction is rolled back with a deadlock (1213), inside the procedure, at
COMMIT, or by the applier's brute-force abort. hms.cluster.booking retries those, bounded.
"""

from __future__ import annotations

import threading

import pytest

from hms.cluster.booking import BookingConflict, SlotTaken, book
from hms.connection import connect, session
from hms.errors import DatabaseError
from tests.support import query
from tests.support.cluster import double_bookings, far_slots, needs_cluster, node_info

pytestmark = needs_cluster
ROUNDS = 20


def _conflicts(cluster) -> int:
    """Certification failures and brute-force aborts, summed over the nodes."""
    total = 0
    for node in cluster.nodes:
        with session(node_info(node, None)) as conn:
            for _, value in query(conn, "SHOW GLOBAL STATUS WHERE Variable_name IN "
                                        "('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')"):
                total += int(value)
    return total


def _race(cluster, rows, slot, autocommit: bool, attempts: int = 5) -> list[object]:
    """Every node books the same doctor and slot at the same moment; return what each got."""
    results: list[object] = [None] * len(cluster.nodes)
    conns = [connect(node_info(node), autocommit=autocommit) for node in cluster.nodes]
    barrier = threading.Barrier(len(conns))

    def go(k: int) -> None:
        barrier.wait()
        try:
            results[k] = book(conns[k], rows["patients"][k], rows["doctors"][0], slot, attempts=attempts)
        except (SlotTaken, BookingConflict) as exc:
            results[k] = exc

    threads = [threading.Thread(target=go, args=(k,)) for k in range(len(conns))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for conn in conns:
            conn.close()
    return results


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "own-transaction"])
def test_three_nodes_booking_one_slot_end_in_one_booking_and_refusals(cluster, rows, autocommit):
    before = _conflicts(cluster)
    retried = 0
    for slot in far_slots(ROUNDS):
        results = _race(cluster, rows, slot, autocommit)
        booked = [r for r in results if not isinstance(r, Exception)]
        assert len(booked) == 1, results
        assert all(isinstance(r, SlotTaken) and "is already booked" in r.message
                   for r in results if r not in booked), results
        retried += sum(r.attempts > 1 for r in results)
    for node in cluster.nodes:
        assert double_bookings(node) == []
    assert _conflicts(cluster) > before   # the races were decided by certification, not by chance
    if not autocommit:
        # A transaction that lost certification at COMMIT (1213) was run again by the client path.
        assert retried > 0


def test_after_the_bound_the_booking_says_it_lost_and_nothing_was_booked(cluster, rows):
    lost = []
    for slot in far_slots(ROUNDS):
        results = _race(cluster, rows, slot, autocommit=False, attempts=1)
        lost += [r for r in results if isinstance(r, BookingConflict)]
        assert sum(not isinstance(r, Exception) for r in results) == 1, results
        with session(node_info(cluster.nodes[0])) as conn:
            query(conn, "SET SESSION wsrep_sync_wait = 1")
            assert query(conn, "SELECT COUNT(*) FROM appointment WHERE doctor_id = %s AND starts_at = %s",
                         (rows["doctors"][0], slot)) == [(1,)]
    assert lost, "no booking lost a conflict in the whole run"
    message = lost[0].message
    assert "lost 1 conflicts in a row with concurrent writes" in message and "nothing was booked" in message
    assert message.endswith("Try again in a moment.")


def test_a_booking_refuses_to_run_inside_the_callers_open_transaction(cluster, rows):
    with session(node_info(cluster.nodes[0]), autocommit=False) as conn:
        query(conn, "UPDATE doctor SET phone = phone WHERE doctor_id = %s", (rows["doctors"][1],))   # work in flight
        with pytest.raises(DatabaseError) as refused:
            book(conn, rows["patients"][0], rows["doctors"][1], far_slots(1)[0])
        assert "must run as its own transaction" in refused.value.message
