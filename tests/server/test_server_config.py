"""`hms server start` keeps the user's settings: my.cnf is theirs and never rewritten, hms.cnf is
hms's and rewritten on every start, and a my.cnf from before the split is upgraded, not lost.

The server is started and stopped through the CLI, as a user would; its my.cnf exists before
the first start (keeping the server small), which is itself a user's file being kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from hms import dialect as dialects
from hms.server import EmbeddedServer
from hms.server.config import MANAGED_NAME
from tests.support import embedded_home, query

pytestmark = pytest.mark.skipif(dialects.find_server_binary() is None,
                                reason="the embedded server needs mariadbd or mysqld on this machine")


SMALL = "[mysqld]\ninnodb_buffer_pool_size = 64M\n" + ("innodb_log_file_size = 48M\n" if (
    dialects.find_server_binary() or (None, dialects.MYSQL))[1].is_mariadb else "innodb_redo_log_capacity = 100M\n")


def hms(home: Path, *args) -> None:
    exe = Path(sys.executable).with_name("hms")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    env["HMS_HOME"] = str(home)
    result = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def server():
    with embedded_home("config") as home:
        server = EmbeddedServer(home)
        server.config_file.write_text(f"!include {server.config_file.with_name(MANAGED_NAME)}\n{SMALL}")
        hms(home, "server", "start")
        try:
            yield server
        finally:
            server.stop()


def variables(server: EmbeddedServer, *names: str) -> tuple:
    info = server.connection_info()
    conn = pymysql.connect(user=info.user, password=info.password, unix_socket=info.unix_socket)
    try:
        return query(conn, "SELECT " + ", ".join(f"@@GLOBAL.{name}" for name in names))[0]
    finally:
        conn.close()


def restart(server: EmbeddedServer) -> None:
    hms(server.home, "server", "stop")
    hms(server.home, "server", "start")


def test_a_setting_added_to_my_cnf_survives_restarts_and_wins(server):
    managed = server.config_file.with_name(MANAGED_NAME)
    assert server.config_file.read_text() == f"!include {managed}\n{SMALL}"   # kept from before the first start
    assert variables(server, "innodb_buffer_pool_size") == (64 << 20,)
    assert "max_connections = 300" in managed.read_text()
    edited = server.config_file.read_text() + "# fewer clients on this laptop\nmax_connections = 77\n"
    server.config_file.write_text(edited)
    managed.write_text(managed.read_text().replace("max_connections = 300", "max_connections = 5"))
    restart(server)
    assert variables(server, "max_connections") == (77,)
    restart(server)
    assert server.config_file.read_text() == edited
    # hms.cnf was written afresh: the hand edit there is gone, hms's own value is back.
    assert "max_connections = 300" in managed.read_text() and "max_connections = 5" not in managed.read_text()


def test_hms_cnf_turns_the_binary_log_on_in_its_own_directory(server):
    log_bin, basename, binlog_format, server_id = variables(server, "log_bin", "log_bin_basename",
                                                            "binlog_format", "server_id")
    assert (log_bin, binlog_format, server_id) == (1, "ROW", 1)
    assert basename == str(server.binlog_dir / "hms-bin")
    assert any(path.name.startswith("hms-bin.") for path in server.binlog_dir.iterdir())


def test_a_my_cnf_from_before_the_split_is_upgraded_keeping_its_text(server):
    managed = server.config_file.with_name(MANAGED_NAME)
    # What an older hms wrote: every setting in my.cnf, no include and no binary log; the user
    # had changed one value by hand.
    binlog = set(dialects.find_server_binary()[1].binlog_options(Path("x"), 1, 1))
    old_settings = [line for line in managed.read_text().splitlines()
                    if not line.startswith("#") and line.split(" = ")[0] not in binlog]
    assert any(line.startswith("bind-address") for line in old_settings)
    old = "\n".join(old_settings).replace("max_connections = 300", "max_connections = 55") + "\n" + SMALL
    hms(server.home, "server", "stop")
    server.config_file.write_text(old)
    managed.unlink()
    hms(server.home, "server", "start")
    upgraded = server.config_file.read_text()
    assert upgraded.endswith(old) and f"!include {managed}\n" in upgraded
    assert upgraded.index("!include") < upgraded.index("max_connections = 55")
    assert managed.is_file()
    assert variables(server, "max_connections", "log_bin") == (55, 1)
    restart(server)
    assert server.config_file.read_text() == upgraded
