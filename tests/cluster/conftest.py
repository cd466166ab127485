"""Fixtures of the cluster tests: one real 3-node Galera cluster on loopback for the session,
made with `hms cluster start` in a home of its own, migrated with `hms db migrate`.

Every node is a real mariadbd running as the `mysql` user, 128M buffer pool, 64M write-set
cache. Each test leaves the cluster whole (three Synced nodes) or restores it; teardown
stops every node cleanly, kills any that will not stop, and removes the home.
"""

from __future__ import annotations

import pytest

from hms.cluster import Cluster
from tests.support import embedded_home
from tests.support.cluster import clinic_rows, hms, stop_all

@pytest.fixture(scope="session")
def cluster_home():
    """The HMS_HOME of the session's cluster, removed at the end."""
    with embedded_home("cluster") as home:
        yield home


@pytest.fixture(scope="session")
def galera(cluster_home) -> Cluster:
    """A 3-node cluster started by the CLI, `hms` migrated through node 1; every node stopped at the end."""
    made = None
    try:
        started = hms(cluster_home, "cluster", "start", "--nodes", "3")
        assert started.returncode == 0, started.stderr
        migrated = hms(cluster_home, "--quiet", "db", "migrate")
        assert migrated.returncode == 0, migrated.stderr
        made = Cluster.open(cluster_home)
        yield made
    finally:
        stop_all(made or Cluster.open_or_none(cluster_home))


@pytest.fixture
def cluster(galera) -> Cluster:
    """The session's cluster, whole again (every node Synced) before the test."""
    if not all(s.synced for s in galera.status()):
        galera.start()
    return galera


@pytest.fixture(scope="session")
def rows(galera) -> dict:
    """Doctors and patients made through node 1."""
    return clinic_rows(galera.nodes[0])
