"""The state-transfer account: the login mariadb-backup uses on a donor node.

Least privilege for a mariadb-backup donor on MariaDB 10.11: RELOAD and LOCK TABLES
(its short backup locks), PROCESS (InnoDB's status), BINLOG MONITOR (the binary-log
position it records). Only from localhost: the donor's backup runs beside its server.
Its password is random, kept in $HMS_HOME/cluster/sst.cnf (0600) and copied into each
node's galera.cnf (0600, the server account's); it is never typed, logged or on argv.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from .. import dialect as dialects
from ..optionfiles import read_option_file, write_option_file

SST_USER = "hms_sst"
SST_HOST = "localhost"
SST_FILE = "sst.cnf"
SST_GRANTS = "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO %s@%s"


def sst_password(cluster_dir: Path) -> str:
    """The cluster's state-transfer password, made on first use."""
    path = Path(cluster_dir) / SST_FILE
    if path.is_file():
        return read_option_file(path)["password"]
    password = secrets.token_urlsafe(24)
    write_option_file(path, "The Galera state-transfer login (wsrep_sst_auth). Keep private (0600).",
                      user=SST_USER, password=password)
    return password


def sst_auth(cluster_dir: Path) -> str:
    """wsrep_sst_auth: user:password."""
    return f"{SST_USER}:{sst_password(cluster_dir)}"


def create_account(conn, password: str) -> None:
    """Create (or reset) the state-transfer account; replicated to every node as DDL.

    The statement carries the password's hash, not the password: DDL is written as text
    to the binary log and to Galera's write-set cache on every node.
    """
    identified, hashed = dialects.MARIADB.identified(password)   # the project's one hash function
    with conn.cursor() as cur:
        cur.execute(f"CREATE USER IF NOT EXISTS %s@%s {identified}", (SST_USER, SST_HOST, hashed))
        cur.execute(f"ALTER USER %s@%s {identified}", (SST_USER, SST_HOST, hashed))
        cur.execute(SST_GRANTS, (SST_USER, SST_HOST))
