"""A node's Galera settings: `galera.cnf`, included at the end of the node's hms.cnf.

hms.cnf (hms/server/config.py) holds what every embedded server has: paths, ports,
the binary log. Galera adds the provider, the cluster's address, the node's own four
ports, the state-transfer method and its login, and the rules Galera needs (row-based
binary log, InnoDB only, interleaved auto-increment locks).

galera.cnf holds the state-transfer account's password (wsrep_sst_auth): it is 0600 and
owned by the server account, which must read it (the SST script re-reads the options as
that account); the server hands the login to the SST script in its environment, and the
script to mariadb-backup in MYSQL_PWD, never on a command line. SHOW VARIABLES masks it.

Galera's own traffic (write sets, IST) and the state transfers are TLS: every node holds
the cluster's one CA and its own certificate signed by it (hms/tls.py; node.py copies the
CA in), named in the provider's socket.ssl_* options and, for the mariabackup SST (socat
with OpenSSL), in [sst] encrypt=3 with tca/tcert/tkey and ssl-mode=VERIFY_CA: each side
verifies the other's certificate chain against the cluster CA.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from .. import tls
from .layout import Layout, NodeSpec

GALERA_FILE = "galera.cnf"
PROVIDER_PATHS = ("/usr/lib/galera/libgalera_smm.so", "/usr/lib/libgalera_smm.so",
                  "/usr/lib64/galera-4/libgalera_smm.so", "/usr/lib64/galera/libgalera_smm.so")
SST_METHOD = "mariabackup"
# The write-set cache each node keeps for incremental transfers to nodes that were away:
# small here (three nodes share one machine); size it to the writes of the longest outage
# a node should survive without a full copy.
GCACHE_SIZE = "64M"
# Galera's own replication GTIDs: one domain for the whole cluster, the same on every
# node, so a write set has the same GTID on each (MariaDB 10.5.1+ carries it in the
# write set); each node's own gtid_domain_id stays apart for anything written locally.
WSREP_GTID_DOMAIN = 1
LOCAL_GTID_DOMAIN_BASE = 100
# Galera refuses a write set beyond these: 2 GiB is the protocol's ceiling; rows are not capped.
MAX_WS_SIZE = 2 << 30
MAX_WS_ROWS = 0


def provider_path() -> str | None:
    """libgalera_smm.so, where the distribution puts it, or None when galera-4 is missing."""
    for path in PROVIDER_PATHS:
        if Path(path).is_file():
            return path
    return None


def galera_options(layout: Layout, spec: NodeSpec, provider: str, sst_auth: str,
                   certificates: tls.TlsFiles) -> dict[str, str]:
    """The [galera] options of one node; its Galera traffic is TLS with `certificates`."""
    provider_options = ";".join([
        f"socket.ssl_ca={certificates.ca_cert}",
        f"socket.ssl_cert={certificates.server_cert}",
        f"socket.ssl_key={certificates.server_key}",
        f"gmcast.listen_addr=tcp://{spec.address}:{spec.galera_port}",
        f"ist.recv_addr={spec.address}:{spec.ist_port}",
        f"gcache.size={GCACHE_SIZE}",
        "gcache.page_size=64M",
        # The primary component is recovered from gvwstate.dat when every node crashed at once.
        "pc.recovery=TRUE",
    ])
    return {
        "wsrep_on": "ON",
        "wsrep_provider": provider,
        "wsrep_cluster_name": layout.name,
        "wsrep_cluster_address": layout.cluster_address(),
        "wsrep_node_name": spec.name,
        "wsrep_node_address": f"{spec.address}:{spec.galera_port}",
        "wsrep_node_incoming_address": f"{spec.address}:{spec.port}",
        "wsrep_provider_options": f'"{provider_options}"',
        "wsrep_sst_method": SST_METHOD,
        "wsrep_sst_receive_address": f"{spec.address}:{spec.sst_port}",
        "wsrep_sst_auth": sst_auth,
        "wsrep_slave_threads": "2",
        "wsrep_max_ws_size": str(MAX_WS_SIZE),
        "wsrep_max_ws_rows": str(MAX_WS_ROWS),
        "wsrep_gtid_mode": "ON",
        "wsrep_gtid_domain_id": str(WSREP_GTID_DOMAIN),
        "gtid_domain_id": str(LOCAL_GTID_DOMAIN_BASE + spec.number),
        # Galera certifies row images: ROW binary log, InnoDB, and auto-increment locks
        # that never take a table lock (ids interleave across nodes: wsrep_auto_increment_control).
        "binlog_format": "ROW",
        "default_storage_engine": "InnoDB",
        "enforce_storage_engine": "InnoDB",
        "innodb_autoinc_lock_mode": "2",
        "bind-address": spec.address,
    }


def sst_tls(certificates: tls.TlsFiles) -> str:
    """[sst] lines: the mariabackup state transfer over TLS, each side verifying the other against the CA."""
    return (f"encrypt = 3\ntca = {certificates.ca_cert}\ntcert = {certificates.server_cert}\n"
            f"tkey = {certificates.server_key}\nssl-mode = VERIFY_CA\n")


def write_galera_config(server, layout: Layout, spec: NodeSpec, provider: str, sst_auth: str,
                        account: pwd.struct_passwd) -> Path:
    """Write the node's galera.cnf (0600, the server account's) and include it from hms.cnf."""
    path = server.home / GALERA_FILE
    certificates = tls.files(server.home)
    options = galera_options(layout, spec, provider, sst_auth, certificates)
    body = "\n".join(f"{k} = {v}" for k, v in options.items())
    # The SST script keeps the logs of past transfers; by default in /tmp/sst_log_archive,
    # shared by every server on the machine: here, in the node's own tmp directory.
    text = ("# Written by `hms cluster` on every start of this node; holds the state-transfer login.\n"
            f"[galera]\n{body}\n\n[sst]\nsst-log-archive-dir = {server.home / 'tmp' / 'sst-logs'}\n"
            f"{sst_tls(certificates)}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    if (path.stat().st_uid, path.stat().st_gid) != (account.pw_uid, account.pw_gid):
        os.chown(path, account.pw_uid, account.pw_gid)
    managed = server.config_file.with_name("hms.cnf")
    include = f"!include {path}\n"
    text = managed.read_text()
    if include not in text:
        managed.write_text(text + include)
    return path


def remove_galera_include(server) -> None:
    """Take galera.cnf out of hms.cnf (so mariadb-install-db and --wsrep-recover see the rest only)."""
    managed = server.config_file.with_name("hms.cnf")
    if managed.is_file():
        text = managed.read_text()
        include = f"!include {server.home / GALERA_FILE}\n"
        if include in text:
            managed.write_text(text.replace(include, ""))
