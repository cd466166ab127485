"""The embedded server started by root runs as an unprivileged user, with secure_file_priv set."""

from __future__ import annotations

import os
import pwd
import stat
import tempfile
from pathlib import Path

import pymysql
import pytest

from hms import dialect as dialects
from hms.errors import ServerError
from hms.server import EmbeddedServer
from tests.support import query, running_server

pytestmark = [
    pytest.mark.skipif(dialects.find_server_binary() is None,
                       reason="the embedded server needs mariadbd or mysqld on this machine"),
    pytest.mark.skipif(os.geteuid() != 0, reason="dropping root is only tested when the suite runs as root"),
]


@pytest.fixture(scope="module")
def server():
    with running_server("unprivileged") as server:
        yield server


@pytest.fixture
def conn(server):
    info = server.connection_info()
    connection = pymysql.connect(user=info.user, password=info.password, unix_socket=info.unix_socket,
                                 autocommit=True)
    yield connection
    connection.close()


def _process_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


def test_server_process_is_not_root(server):
    pid = server.status().pid
    assert pid is not None
    uid = _process_uid(pid)
    assert uid != 0
    assert pwd.getpwuid(uid).pw_name == dialects.SERVER_SYSTEM_USER


def test_server_owns_its_directories_and_root_keeps_the_logins(server):
    account = pwd.getpwnam(dialects.SERVER_SYSTEM_USER)
    for path in (server.datadir, server.home / "tmp", server.files_dir, server.run_dir, server.log_file):
        assert path.stat().st_uid == account.pw_uid, path
    assert stat.S_IMODE(server.files_dir.stat().st_mode) == 0o700
    assert server.client_file.stat().st_uid == 0
    assert stat.S_IMODE(server.client_file.stat().st_mode) == 0o600


def test_load_file_cannot_read_system_files(conn):
    assert query(conn, "SELECT LOAD_FILE('/etc/passwd')") == [(None,)]


def test_into_outfile_outside_the_files_dir_fails(conn, server):
    target = Path(tempfile.gettempdir()) / f"hms-outfile-{os.getpid()}.txt"
    with pytest.raises(pymysql.err.MySQLError):
        with conn.cursor() as cur:
            cur.execute("SELECT 'leak' INTO OUTFILE %s", (str(target),))
    assert not target.exists()
    assert query(conn, "SELECT @@secure_file_priv")[0][0].rstrip("/") == str(server.files_dir)


def test_home_the_server_user_cannot_reach_is_refused(tmp_path):
    # pytest's own temp root (/tmp/pytest-of-root) is 0700: `mysql` cannot enter it.
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    with pytest.raises(ServerError) as excinfo:
        EmbeddedServer(locked / "home").start()
    assert "cannot reach" in excinfo.value.what
    assert "HMS_HOME" in excinfo.value.message
