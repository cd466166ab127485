"""The embedded server: created on first start, private, secured, idempotent, stopped cleanly."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from hms import dialect as dialects
from hms.errors import ServerError
from hms.server import EmbeddedServer
from tests.support import query

pytestmark = pytest.mark.skipif(dialects.find_server_binary() is None,
                                reason="the embedded server needs mariadbd or mysqld on this machine")


def hms(home: Path, *args) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("hms")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    env["HMS_HOME"] = str(home)
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=180)


def test_start_creates_a_private_secured_server(home):
    result = hms(home, "server", "start")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("running: ")
    server = EmbeddedServer(home)
    assert stat.S_IMODE(server.client_file.stat().st_mode) == 0o600
    assert "password" not in result.stdout.lower() or "***" in result.stdout
    info = server.connection_info()
    assert info.password and info.password not in result.stdout
    conn = pymysql.connect(user=info.user, password=info.password, unix_socket=info.unix_socket)
    try:
        assert query(conn, "SELECT COUNT(*) FROM mysql.user WHERE user = ''") == [(0,)]
        assert query(conn, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test'") == [(0,)]
        assert query(conn, "SELECT @@local_infile, @@bind_address") == [(1, "127.0.0.1")]
        assert query(conn, "SELECT COUNT(*) FROM mysql.user WHERE user = 'root' AND host NOT IN "
                           "('localhost', '127.0.0.1')") == [(0,)]
    finally:
        conn.close()
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(user="root", password="", unix_socket=info.unix_socket).close()


def test_start_is_idempotent_and_status_reports(home):
    before = EmbeddedServer(home).status()
    again = hms(home, "server", "start")
    assert again.returncode == 0
    after = EmbeddedServer(home).status()
    assert after.running and after.pid == before.pid
    status = hms(home, "server", "status")
    assert status.returncode == 0 and "running:" in status.stdout and "unix_socket" in status.stdout


def test_tcp_login_on_its_own_port(home):
    info = EmbeddedServer(home).connection_info()
    conn = pymysql.connect(user=info.user, password=info.password, host="127.0.0.1", port=info.port)
    try:
        assert query(conn, "SELECT @@port") == [(info.port,)]
    finally:
        conn.close()


def test_status_prints_the_tcp_port_and_a_ready_client_command(home):
    info = EmbeddedServer(home).connection_info()
    status = hms(home, "server", "status")
    assert status.returncode == 0, status.stderr
    assert f"tcp: 127.0.0.1:{info.port}" in status.stdout
    (line,) = [l for l in status.stdout.splitlines() if l.startswith("connect: ")]
    command = line.removeprefix("connect: ").split("  (")[0].split()
    assert command[0] == "mariadb" and command[-1] == "-p" and info.password not in status.stdout
    client = subprocess.run([*command[:-1], "-N", "-e", "SELECT @@port"], capture_output=True, text=True,
                            env={**os.environ, "MYSQL_PWD": info.password}, timeout=30)
    assert client.returncode == 0, client.stderr
    assert client.stdout.strip() == str(info.port)
    shown = json.loads(hms(home, "server", "status", "--json").stdout)
    assert (shown["host"], shown["port"], shown["socket"]) == ("127.0.0.1", info.port, info.unix_socket)
    assert shown["running"] and shown["client_command"] == " ".join(command)


def test_migrate_on_the_embedded_default(home):
    result = hms(home, "db", "migrate")
    assert result.returncode == 0, result.stderr
    assert hms(home, "db", "migrate").stdout.strip() == "'hms' is up to date"
    assert hms(home, "db", "verify").returncode == 0


def test_stop_then_status_and_restart_keeps_data(home):
    stopped = hms(home, "server", "stop")
    assert stopped.returncode == 0 and stopped.stdout.strip() == "stopped"
    status = hms(home, "server", "status")
    assert status.returncode == 1 and "not running" in status.stdout
    assert hms(home, "server", "stop").stdout.strip() == "not running"
    assert hms(home, "server", "start").returncode == 0
    assert hms(home, "db", "migrate").stdout.strip() == "'hms' is up to date"


def test_commands_without_a_server_say_how_to_start_one(tmp_path):
    result = hms(tmp_path / "nothing-here", "db", "status")
    assert result.returncode == 1
    assert "Start one with `hms server start`" in result.stderr


def test_missing_server_binary_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(dialects, "EXTRA_BIN_DIRS", ())
    with pytest.raises(ServerError) as excinfo:
        EmbeddedServer(tmp_path / "home").start()
    assert "no MariaDB or MySQL server binary" in excinfo.value.message
    assert "apt-get install mariadb-server" in excinfo.value.message
