"""The server key file optionally encrypted by a passphrase from the environment
(HMS_KEY_PASSPHRASE, file_key_management_filekey): stored encrypted, never plain on disk,
the passphrase handed over only while the server starts; a start without it, or with a
wrong one, is refused in one line."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from hms import encryption
from hms.server import EmbeddedServer
from tests.support import embedded_home, query

pytestmark = pytest.mark.slow
PASSPHRASE = f"pass {secrets.token_hex(8)} phrase"
KEY_LINE = re.compile(rb"\d+;[0-9a-f]{64}")


def hms(home: Path, *args: str, passphrase: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    env["HMS_HOME"] = str(home)
    if passphrase is not None:
        env[encryption.PASSPHRASE_ENV] = passphrase
    return subprocess.run([str(Path(sys.executable).with_name("hms")), *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture(scope="module")
def protected():
    """A home made with `hms server start --encrypt` and HMS_KEY_PASSPHRASE, a table with a row in it."""
    with embedded_home("keypass") as home:
        (home / "my.cnf").write_text("[mysqld]\ninnodb_buffer_pool_size = 64M\n")
        try:
            started = hms(home, "server", "start", "--encrypt", passphrase=PASSPHRASE)
            assert started.returncode == 0, started.stderr
            conn = admin(home)
            query(conn, "CREATE DATABASE keypass")
            query(conn, "CREATE TABLE keypass.t (id INT PRIMARY KEY, note VARCHAR(40))")
            query(conn, "INSERT INTO keypass.t VALUES (1, 'kept under a protected key')")
            conn.close()
            yield home
        finally:
            EmbeddedServer(home).stop()


def admin(home: Path):
    info = EmbeddedServer(home).connection_info()
    return pymysql.connect(unix_socket=info.unix_socket, user=info.user, password=info.password, autocommit=True)


def test_the_key_file_is_stored_encrypted_and_the_passphrase_only_while_starting(protected):
    key_file = encryption.server_key_file(protected)
    stored = key_file.read_bytes()
    assert stored.startswith(b"Salted__") and not KEY_LINE.search(stored)
    plain = encryption.read_server_keys(protected, PASSPHRASE).encode()
    assert KEY_LINE.fullmatch(plain.strip()) and plain not in stored
    assert not (encryption.keys_dir(protected) / encryption.FILEKEY).exists()
    conn = admin(protected)
    try:
        ((_, filekey),) = query(conn, "SHOW GLOBAL VARIABLES LIKE 'file_key_management_filekey'")
        assert filekey.startswith("FILE:") and PASSPHRASE not in filekey
        assert query(conn, "SELECT note FROM keypass.t") == [("kept under a protected key",)]
    finally:
        conn.close()
    for path in protected.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert PASSPHRASE.encode() not in path.read_bytes(), path


def test_a_start_without_or_with_a_wrong_passphrase_is_refused_in_one_line(protected):
    assert EmbeddedServer(protected).stop()
    for passphrase in (None, "not the passphrase"):
        refused = hms(protected, "server", "start", passphrase=passphrase)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and "HMS_KEY_PASSPHRASE" in refused.stderr
        assert not EmbeddedServer(protected).status().running
        assert not (encryption.keys_dir(protected) / encryption.FILEKEY).exists()
    started = hms(protected, "server", "start", passphrase=PASSPHRASE)
    assert started.returncode == 0, started.stderr
    conn = admin(protected)
    try:
        assert query(conn, "SELECT note FROM keypass.t") == [("kept under a protected key",)]
    finally:
        conn.close()


def test_rotate_key_keeps_the_key_file_encrypted(protected):
    rotated = hms(protected, "server", "rotate-key", passphrase=PASSPHRASE)
    assert rotated.returncode == 0, rotated.stderr
    assert encryption.server_key_file(protected).read_bytes().startswith(b"Salted__")
    lines = encryption.read_server_keys(protected, PASSPHRASE).split()
    assert [line.split(";")[0] for line in lines] == ["1", "2"]
