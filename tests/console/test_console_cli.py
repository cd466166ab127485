"""`hms console`: list-admins, lock-admin, and `run` served by waitress, a busy port refused
in one line before anything says "serving"."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from hms import console_admins
from hms.connection import connect


@pytest.fixture
def env(server_info, migrated, service_home, service_login) -> dict:
    return {"HMS_DATABASE_URL": server_info.url(hide_password=False), "HMS_DATABASE": migrated.database,
            "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": ""}


def hms(env: dict, *args: str):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_list_admins_and_lock_admin(env, console_admin, service_login, migrated):
    name, _ = console_admin
    listed = hms(env, "console", "list-admins")
    assert listed.exit_code == 0 and "last login" in listed.output
    (line,) = [row for row in listed.output.splitlines() if row.split()[0] == name]
    assert line.rstrip().endswith("active")
    assert hms(env, "console", "lock-admin", name).output.strip() == f"console admin '{name}' locked"
    (entry,) = [a for a in json.loads(hms(env, "console", "list-admins", "--json").output) if a["username"] == name]
    assert entry["locked"] is True and entry["locked_at"] and "password_hash" not in entry
    conn = connect(service_login, database=None)
    try:
        with pytest.raises(console_admins.AdminError):
            console_admins.authenticate(conn, f"{migrated.database}_console", name, console_admin[1])
    finally:
        conn.close()
    assert hms(env, "console", "lock-admin", name, "--unlock").exit_code == 0
    missing = hms(env, "console", "lock-admin", "nobody_" + secrets.token_hex(3))
    assert missing.exit_code == 1 and "there is no console admin" in missing.output


def _console(env: dict, port: int) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("hms")
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("HMS_")}, **env,
            "HMS_SECRET_KEY": secrets.token_hex(16)}
    return subprocess.Popen([str(exe), "console", "run", "--port", str(port)], env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_run_refuses_a_busy_port_in_one_line_before_serving(env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _console(env, port)
        try:
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 1
    assert "serving" not in out
    assert err.strip() == (f"Error: port {port} on 127.0.0.1 is already in use. Stop what listens there, "
                           f"or pick another port with --port {port + 1}.")


def test_run_serves_with_waitress(env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = _console(env, port)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"serving the console on http://127.0.0.1:{port} with waitress"), \
            line + proc.stderr.read() if proc.poll() is not None else line
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    assert response.status == 200 and response.headers["Server"] == "hms-console"
                    assert "Content-Security-Policy" in response.headers
                    break
            except OSError:
                assert time.monotonic() < deadline, "the console did not answer"
                time.sleep(0.2)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=15)  # reads and closes both pipes
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
