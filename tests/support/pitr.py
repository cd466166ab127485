"""What the point-in-time recovery and prune tests share: a MariaDB server of their own (they
purge its binary log, which no other test may see), the CLI against it with its own
HMS_HOME (the backup key), and the server's clock and GTID position."""

from __future__ import annotations

import contextlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from click.testing import CliRunner

from cli import cli
from hms.backup import contents
from hms.connection import ConnectionInfo, connect

from . import query, running_server


@dataclass
class BinlogServer:
    """A running MariaDB server with the binary log on, and a home for hms's key."""

    info: ConnectionInfo  # its administrative login
    home: Path  # HMS_HOME: backup.key lives here

    @property
    def key_file(self) -> Path:
        return self.home / "backup.key"


@contextlib.contextmanager
def binlog_server(name: str) -> Iterator[BinlogServer]:
    """Start a small embedded server (128 MB buffer pool) in a /tmp home; stop it afterwards."""
    with running_server(name) as server, tempfile.TemporaryDirectory(prefix=f"hms-{name}-home-") as hms_home:
        yield BinlogServer(info=server.connection_info(), home=Path(hms_home))


def run_hms(server: BinlogServer, backup_dir: Path, database: str, *args: str):
    """Invoke `hms --quiet ARGS` in-process against `server`'s `database`; return click's Result."""
    env = {"HMS_DATABASE_URL": server.info.url(hide_password=False), "HMS_DATABASE": database,
           "HMS_BACKUP_DIR": str(backup_dir), "HMS_HOME": str(server.home)}
    return CliRunner().invoke(cli, ["--quiet", *args], env=env, catch_exceptions=False)


def execute(info: ConnectionInfo, *statements: str) -> None:
    """Run `statements` in one session on `info`'s database (none when it names none)."""
    conn = connect(info)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def gtid_position(info: ConnectionInfo) -> str:
    conn = connect(info, database=None)
    try:
        return query(conn, "SELECT @@GLOBAL.gtid_binlog_pos")[0][0]
    finally:
        conn.close()


def next_second(info: ConnectionInfo) -> str:
    """Wait until the server's clock has moved to a new second; return it as 'YYYY-MM-DD HH:MM:SS'.

    Binary log events carry whole seconds: whatever committed before this call is in an
    earlier second than the one returned, whatever commits after it is in this one or later.
    """
    conn = connect(info, database=None)
    try:
        first = query(conn, "SELECT UNIX_TIMESTAMP()")[0][0]
        while True:
            now, text = query(conn, "SELECT UNIX_TIMESTAMP(), DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s')")[0]
            if now > first:
                return text
            time.sleep(0.05)
    finally:
        conn.close()


def described_now(info: ConnectionInfo, database: str) -> dict:
    """Row counts, checksums and object definitions of `database`, read in one snapshot."""
    conn = connect(info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        return contents.describe(conn, database)
    finally:
        conn.rollback()
        conn.close()


def database_exists(info: ConnectionInfo, name: str) -> bool:
    conn = connect(info, database=None)
    try:
        return bool(query(conn, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                          (name,))[0][0])
    finally:
        conn.close()


def purge_binary_logs(info: ConnectionInfo, timeout: float = 30.0) -> list[str]:
    """Close the current binary log and purge every earlier file; return the names purged.

    MariaDB keeps a file until its transactions are durable in InnoDB (its binlog
    checkpoint), so PURGE is repeated until the files are gone.
    """
    conn = connect(info, database=None)
    try:
        before = [row[0] for row in query(conn, "SHOW BINARY LOGS")]
        with conn.cursor() as cur:
            cur.execute("FLUSH BINARY LOGS")
        deadline = time.monotonic() + timeout
        while True:
            names = [row[0] for row in query(conn, "SHOW BINARY LOGS")]
            with conn.cursor() as cur:
                cur.execute("PURGE BINARY LOGS TO %s", (names[-1],))
            left = [row[0] for row in query(conn, "SHOW BINARY LOGS")]
            if len(left) == 1:
                return [name for name in before if name not in left]
            if time.monotonic() > deadline:
                raise AssertionError(f"the server keeps {left[:-1]} after {timeout:.0f} s of PURGE BINARY LOGS")
            time.sleep(0.2)
    finally:
        conn.close()
