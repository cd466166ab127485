"""Which node a cold start bootstraps from, and where node K listens: the rules, without servers."""

from __future__ import annotations

import pytest

from hms.cluster import ClusterError, loopback
from hms.cluster.grastate import SavedState, choose_bootstrap, parse_recovered, read_grastate

CLUSTER = "783b36a4-edd0-11f1-b6b7-4348ab22b029"


def test_the_highest_seqno_wins_even_over_a_stale_node_marked_safe():
    states = [SavedState(1, CLUSTER, 10, True), SavedState(2, CLUSTER, 12, False, recovered=True),
              SavedState(3, CLUSTER, 11, False)]
    assert choose_bootstrap(states).number == 2


def test_a_tie_goes_to_the_node_marked_safe_then_to_the_lowest_number():
    assert choose_bootstrap([SavedState(1, CLUSTER, 7, False), SavedState(2, CLUSTER, 7, True)]).number == 2
    assert choose_bootstrap([SavedState(2, CLUSTER, 7, False), SavedState(3, CLUSTER, 7, False)]).number == 2


def test_nodes_of_two_clusters_or_no_known_position_are_refused():
    other = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClusterError, match="different clusters"):
        choose_bootstrap([SavedState(1, CLUSTER, 5, True), SavedState(2, other, 9, False)])
    with pytest.raises(ClusterError, match="no node's saved position"):
        choose_bootstrap([SavedState(1, CLUSTER, -1, False), SavedState(2, None, -1, False)])


def test_grastate_and_the_recovered_position_are_read(tmp_path):
    (tmp_path / "grastate.dat").write_text(f"# GALERA saved state\nversion: 2.1\nuuid:    {CLUSTER}\n"
                                           "seqno:   -1\nsafe_to_bootstrap: 0\n")
    assert read_grastate(tmp_path, 1) == SavedState(1, CLUSTER, -1, False)
    assert read_grastate(tmp_path / "missing", 2) == SavedState(2, None, -1, False)
    log = f"2026-12-01 21:52:13 0 [Note] WSREP: Recovered position: {CLUSTER}:8650\n"
    assert parse_recovered("noise\n" + log) == (CLUSTER, 8650)
    assert parse_recovered("nothing recovered here") is None


def test_node_k_listens_on_four_ports_from_its_block():
    layout = loopback(3, 4560)
    assert [n.ports for n in layout.nodes] == [(4560, 4561, 4562, 4563), (4570, 4571, 4572, 4573),
                                               (4580, 4581, 4582, 4583)]
    assert layout.cluster_address() == "gcomm://127.0.0.1:4561,127.0.0.1:4571,127.0.0.1:4581"
    with pytest.raises(ClusterError, match="Use --nodes from 1 to 9"):
        loopback(12)
