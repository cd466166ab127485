"""Fixtures of the replication tests: a primary of their own (a small embedded server under
/tmp, migrated, seeded at a tiny scale) with one replica made by `hms replica add`, shared by the
tests of a module; every server they started is stopped afterwards (by pid, killed if need be)."""

from __future__ import annotations

import pytest

from tests.support.replicas import made_cluster


@pytest.fixture(scope="module")
def pair():
    """A seeded primary `main` and an asynchronous replica `r1`."""
    with made_cluster("repl", seed=True) as cluster:
        cluster.ok("replica", "add", "r1")
        yield cluster


@pytest.fixture(scope="module")
def semi_pair():
    """A migrated primary `main` and a semi-synchronous replica `r1`."""
    with made_cluster("semi", seed=False) as cluster:
        cluster.ok("replica", "add", "r1", "--semi-sync")
        yield cluster
