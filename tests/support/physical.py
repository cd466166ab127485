"""What the physical backup tests share: a server of their own (mariadb-backup copies a
whole server, so theirs holds one small database and nothing else writes to it), the
database they back up, writing rows into it, and finding what a run left behind.

The fixtures are in tests/backup/physical/conftest.py.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hms import dialect as dialects
from hms.backup.manifest import PHYSICAL_DATA
from hms.backup.scratch_server import PREFIX as SCRATCH_PREFIX
from hms.connection import ConnectionInfo, connect
from hms.server.config import MANAGED_NAME

from . import ROOT, query

DATABASE = "hms_phys"
SMALL_SERVER = ("innodb_buffer_pool_size = 64M", "innodb_log_file_size = 48M")

needs_mariadb_backup = pytest.mark.skipif(
    dialects.physical_backup_binary(dialects.MARIADB) is None or dialects.find_server_binary() is None
    or not dialects.find_server_binary()[1].is_mariadb,
    reason="physical backups need a MariaDB server and mariadb-backup on this machine")


def small_home(home: Path) -> None:
    """Write a home's my.cnf (the user's file) with a small buffer pool, before its first start."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "my.cnf").write_text(f"!include {home / MANAGED_NAME}\n[mysqld]\n" + "\n".join(SMALL_SERVER) + "\n")


def add_small_settings(home: Path) -> None:
    """Append the small-server settings to an existing home's my.cnf (below hms's include)."""
    with open(home / "my.cnf", "a") as handle:
        handle.write("\n".join(SMALL_SERVER) + "\n")





def add_patients(info: ConnectionInfo, tag: str, count: int = 5) -> list[int]:
    """Insert `count` patients named after `tag`; return their ids."""
    conn = connect(info)
    try:
        ids = []
        with conn.cursor() as cur:
            for n in range(count):
                cur.execute("INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, address, city) "
                            "VALUES (%s, 'Phys', '1970-01-01', 'Other', %s, '1 Main St', 'Springfield')",
                            (f"{tag}", f"+1-{secrets.token_hex(6)}"))
                ids.append(cur.lastrowid)
        return ids
    finally:
        conn.close()


def patients_named(info: ConnectionInfo, database: str, tag: str) -> int:
    conn = connect(info, database=database)
    try:
        return query(conn, "SELECT COUNT(*) FROM patient WHERE first_name = %s", (tag,))[0][0]
    finally:
        conn.close()


def data_file(backup_path: Path, table: str) -> Path:
    """The InnoDB tablespace copy of `table` in a physical backup.

    mariadb-backup names it <table>.new instead of .ibd when the table was created after the
    server's last checkpoint (as in a fresh test server); --prepare renames it.
    """
    folder = backup_path / PHYSICAL_DATA / DATABASE
    return next(path for path in (folder / f"{table}.ibd", folder / f"{table}.new") if path.exists())


def scratch_leftovers() -> list[Path]:
    """Scratch server homes this process left in the temporary directory."""
    return sorted(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{os.getpid()}-*"))


def hms(home: Path, *args: str) -> subprocess.CompletedProcess:
    """Run this checkout's `hms` with HMS_HOME=home (and no other HMS_ setting of the caller's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    env.update(HMS_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)
