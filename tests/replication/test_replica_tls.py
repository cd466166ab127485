"""The replication link is TLS with the primary's certificate verified: replicas share the
primary's CA, attach with MASTER_SSL and MASTER_SSL_VERIFY_SERVER_CERT, and the replication
account logs in only over TLS."""

from __future__ import annotations

import contextlib

import pymysql
import pytest

from hms import dialect as dialects
from hms import tls
from hms.replication import account
from tests.support import query
from tests.support.replicas import made_cluster

pytestmark = pytest.mark.skipif(dialects.find_server_binary() is None,
                                reason="the replication tests start their own servers (mariadbd)")


@pytest.fixture(scope="module")
def tls_pair():
    with made_cluster("repltls", seed=False) as cluster:
        cluster.ok("replica", "add", "r1")
        yield cluster


def slave_status(cluster, name: str) -> dict:
    with contextlib.closing(cluster.connect(name, None)) as conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW SLAVE STATUS")
        return cur.fetchone()


def test_the_replica_replicates_over_verified_tls_with_the_shared_ca(tls_pair):
    status = slave_status(tls_pair, "r1")
    assert status["Slave_IO_Running"] == "Yes" and status["Slave_SQL_Running"] == "Yes"
    assert status["Master_SSL_Allowed"] == "Yes" and status["Master_SSL_Verify_Server_Cert"] == "Yes"
    replica_ca = tls.files(tls_pair.home / "replicas" / "r1").ca_cert
    assert status["Master_SSL_CA_File"] == str(replica_ca)
    assert replica_ca.read_bytes() == tls.files(tls_pair.home).ca_cert.read_bytes()

    with contextlib.closing(tls_pair.connect("main")) as conn:
        grants = " ".join(row[0] for row in query(conn, "SHOW GRANTS FOR %s@%s", (account.USER, account.HOST)))
        query(conn, "CREATE TABLE tls_probe (id INT PRIMARY KEY)")
        query(conn, "INSERT INTO tls_probe VALUES (7)")
    assert "REQUIRE SSL" in grants
    tls_pair.wait_replicated("r1")
    with contextlib.closing(tls_pair.connect("r1")) as conn:
        assert query(conn, "SELECT id FROM tls_probe") == [(7,)]


def test_the_replication_account_is_refused_without_tls(tls_pair):
    password = account.read_password(tls_pair.home)
    port = tls_pair.server("main").connection_info().port
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        pymysql.connect(host="127.0.0.1", port=port, user=account.USER, password=password, ssl_disabled=True)
    assert excinfo.value.args[0] == 1045  # access denied: REQUIRE SSL
    verified = pymysql.connect(host="127.0.0.1", port=port, user=account.USER, password=password,
                               ssl_ca=str(tls.files(tls_pair.home).ca_cert), ssl_verify_cert=True,
                               ssl_verify_identity=True)
    verified.close()
