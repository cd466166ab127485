"""The cluster's own traffic is TLS: every node holds the cluster's one CA and a certificate
signed by it; Galera runs with socket.ssl on, and the mariabackup state transfers that made
nodes 2 and 3 went through socat with OpenSSL, each side verifying the other's chain."""

from __future__ import annotations

from hms import tls
from hms.connection import session
from tests.support import query
from tests.support.cluster import needs_cluster, node_info

pytestmark = needs_cluster


def test_every_node_shares_the_cluster_ca_and_galera_runs_over_tls(cluster):
    cluster_ca = tls.files(cluster.directory).ca_cert.read_bytes()
    for node in cluster.nodes:
        certificates = tls.files(node.home)
        assert certificates.ca_cert.read_bytes() == cluster_ca
        with session(node_info(node, None)) as conn:
            ((_, options),) = query(conn, "SHOW GLOBAL VARIABLES LIKE 'wsrep_provider_options'")
            ((_, members),) = query(conn, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'")
        assert "socket.ssl = YES" in options and f"socket.ssl_ca = {certificates.ca_cert}" in options
        assert int(members) == 3


def test_the_state_transfers_went_over_verified_tls(cluster):
    joined = [node for node in cluster.nodes[1:] if "WSREP_SST" in node.log_file.read_text(errors="replace")]
    assert joined, "no node took a state transfer"
    for node in joined:
        log = node.log_file.read_text(errors="replace")
        assert "Using openssl based encryption with socat" in log
        assert "Verifying peer certificate chain for ssl-mode=VERIFY_CA" in log
