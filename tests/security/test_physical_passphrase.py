"""Physical backups of a home whose server key file is encrypted by a passphrase
(HMS_KEY_PASSPHRASE): `hms backup create --physical` (full and incremental), `hms backup
verify`, `hms backup restore --home` (the restored home starts with the passphrase and holds
the same CHECKSUM TABLE) and `hms replica add` work, the passphrase handed to mariadb-backup
and the copies' servers only while they read it: no file holding it is left under the home,
the backup folder, the restored home or /tmp after any command, and the backups hold no
marker patient name. Without the passphrase (or with a wrong one) each command stops in one
line naming HMS_KEY_PASSPHRASE and makes nothing. The tests share one home, in order."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymysql
import pytest

from hms import encryption
from hms.backup.scratch_server import PREFIX as SCRATCH_PREFIX
from hms.server import EmbeddedServer
from tests.security.test_encryption import files_holding, table_checksums, wait_until_encrypted
from tests.support import ROOT, embedded_home, query
from tests.support.physical import SMALL_SERVER, needs_mariadb_backup

pytestmark = [pytest.mark.slow, needs_mariadb_backup]
PASSPHRASE = f"phys {secrets.token_hex(8)} phrase"
MARKER = f"Kmarker{secrets.token_hex(5)}"
DATABASE = "keyphys"
TMP_SCAN_LIMIT = 4 << 20  # a passphrase file is a few bytes: /tmp's files changed since the run began, up to 4 MiB


class Protected:
    """The passphrase-protected home, its backup folder, and `hms` run against them."""

    def __init__(self, home: Path, backups: Path):
        self.home, self.backups = home, backups
        self.restored: list[Path] = []
        self.after_full = ""  # the GTID of the row written between the full and the incremental backup

    def hms(self, *args: str, passphrase: str | None = PASSPHRASE, home: Path | None = None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
        env.update(HMS_HOME=str(home or self.home), HMS_BACKUP_DIR=str(self.backups), HMS_DATABASE=DATABASE,
                   PYTHONPATH=str(ROOT))
        if passphrase is not None:
            env[encryption.PASSPHRASE_ENV] = passphrase
        return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                              timeout=600, cwd=ROOT)

    def ok(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        began = time.time()
        result = self.hms(*args, **kwargs)
        assert result.returncode == 0, f"{args}: {result.stderr}"
        assert self.passphrase_files(since=began) == [], args
        return result

    def passphrase_files(self, since: float) -> list[str]:
        """Every file holding the passphrase: under the homes and the backups (all), /tmp (changed since `since`)."""
        needle = PASSPHRASE.encode()
        found = [path for root in (self.home, self.backups, *self.restored) for path in _files(root)
                 if needle in _read(path)]
        for path in _files(Path(tempfile.gettempdir()), since=since, limit=TMP_SCAN_LIMIT):
            if needle in _read(path):
                found.append(path)
        return [str(p) for p in found]

    def new_home(self) -> Path:
        parent = Path(tempfile.mkdtemp(prefix="hms-kp-restored-"))
        os.chmod(parent, 0o755)  # the server account must reach the restored home
        self.restored.append(parent)
        return parent / "home"


def _files(root: Path, since: float | None = None, limit: int | None = None):
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or (since is not None and info.st_mtime < since - 1) \
                    or (limit is not None and info.st_size > limit):
                continue
            yield path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def admin(home: Path):
    info = EmbeddedServer(home).connection_info()
    return pymysql.connect(unix_socket=info.unix_socket, user=info.user, password=info.password, autocommit=True)


@pytest.fixture(scope="module")
def protected():
    """A home started with --encrypt and HMS_KEY_PASSPHRASE: a table holding the marker patient."""
    with embedded_home("kpphys") as home:
        backups = Path(tempfile.mkdtemp(prefix="hms-kp-backups-"))
        (home / "my.cnf").write_text("[mysqld]\n" + "\n".join(SMALL_SERVER) + "\n")
        state = Protected(home, backups)
        try:
            state.ok("server", "start", "--encrypt")
            conn = admin(home)
            wait_until_encrypted(conn)  # the system tablespace too, before the marker's undo records
            query(conn, f"CREATE DATABASE {DATABASE}")
            query(conn, f"CREATE TABLE {DATABASE}.patient (id INT AUTO_INCREMENT PRIMARY KEY, "
                        "last_name VARCHAR(40), city VARCHAR(40))")
            query(conn, f"INSERT INTO {DATABASE}.patient (last_name, city) VALUES (%s, 'Springfield')", (MARKER,))
            query(conn, f"UPDATE {DATABASE}.patient SET city = %s WHERE last_name = %s", (MARKER, MARKER))
            conn.close()
            yield state
        finally:
            for parent in state.restored:
                server = EmbeddedServer(parent / "home")
                if server.client_file.exists():
                    server.stop()
            EmbeddedServer(home).stop()
            shutil.rmtree(backups, ignore_errors=True)
            for parent in state.restored:
                shutil.rmtree(parent, ignore_errors=True)


def physical_backups(state: Protected) -> list[Path]:
    return sorted(state.backups.glob("*.physical"))


def test_full_and_incremental_backups_verify_and_restore_to_a_home_that_starts_with_the_passphrase(protected):
    state = protected
    full = Path(state.ok("backup", "create", "--physical").stdout.strip())
    conn = admin(state.home)
    query(conn, f"INSERT INTO {DATABASE}.patient (last_name, city) VALUES ('after the full one', 'Shelbyville')")
    state.after_full = query(conn, "SELECT @@gtid_binlog_pos")[0][0]
    conn.close()
    incremental = Path(state.ok("backup", "create", "--physical", "--incremental").stdout.strip())
    assert physical_backups(state) == sorted([full, incremental])
    # The copied pages and redo log stay encrypted. (Not binlogs/ beside them: the binary log
    # archive fetches the server's log through the server, which decrypts it; see archive.py.)
    assert files_holding(MARKER, full, incremental) == []

    verified = state.ok("backup", "verify", str(incremental))
    assert "Traceback" not in verified.stderr

    target = state.new_home()
    state.ok("backup", "restore", str(incremental), "--home", str(target))
    assert encryption.server_key_file(target).read_bytes().startswith(b"Salted__")  # still under the passphrase
    assert not (encryption.keys_dir(target) / encryption.FILEKEY).exists()
    with open(target / "my.cnf", "a") as handle:
        handle.write("\n".join(SMALL_SERVER) + "\n")
    state.ok("server", "start", home=target)
    try:
        source, restored = admin(state.home), admin(target)
        try:
            assert table_checksums(restored, DATABASE) == table_checksums(source, DATABASE)
            assert query(restored, f"SELECT city FROM {DATABASE}.patient WHERE last_name = %s",
                         (MARKER,)) == [(MARKER,)]
            assert query(restored, "SELECT @@innodb_encrypt_tables, @@encrypt_binlog") == [("ON", 1)]
        finally:
            source.close()
            restored.close()
    finally:
        EmbeddedServer(target).stop()


def test_without_or_with_a_wrong_passphrase_each_command_fails_in_one_line_and_makes_nothing(protected):
    state = protected
    before = sorted(p.name for p in state.backups.iterdir())
    scratch_before = set(Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"))
    backup = str(physical_backups(state)[0])
    target = state.new_home()
    for passphrase in (None, "not the passphrase"):
        for args in (("backup", "create", "--physical"), ("backup", "verify", backup),
                     ("backup", "restore", backup, "--home", str(target)), ("replica", "add", "r9")):
            refused = state.hms(*args, passphrase=passphrase)
            assert refused.returncode != 0, args
            assert "Traceback" not in refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1, (args, refused.stderr)
            assert encryption.PASSPHRASE_ENV in refused.stderr, (args, refused.stderr)
    assert sorted(p.name for p in state.backups.iterdir()) == before
    assert set(Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*")) == scratch_before
    assert not target.exists() and not (state.home / "replicas").exists()
    assert not (encryption.keys_dir(state.home) / encryption.FILEKEY).exists()


def test_a_replica_of_the_protected_home_is_added_and_replicates(protected):
    state = protected
    state.ok("replica", "add", "r1")
    replica = state.home / "replicas" / "r1"
    try:
        assert encryption.server_key_file(replica).read_bytes().startswith(b"Salted__")
        conn = admin(state.home)
        query(conn, f"INSERT INTO {DATABASE}.patient (last_name, city) VALUES ('after the replica', 'Ogdenville')")
        gtid = query(conn, "SELECT @@gtid_binlog_pos")[0][0]
        conn.close()
        copy = admin(replica)
        try:
            query(copy, "SELECT MASTER_GTID_WAIT(%s, 60)", (gtid,))
            assert query(copy, f"SELECT COUNT(*) FROM {DATABASE}.patient")[0][0] == 3
            assert query(copy, "SELECT @@innodb_encrypt_tables, @@read_only") == [("ON", 1)]
        finally:
            copy.close()
    finally:
        if replica.exists():
            removed = state.hms("replica", "remove", "r1")
            assert removed.returncode == 0, removed.stderr


def test_restore_home_until_rolls_the_full_backup_forward_through_the_encrypted_binary_log(protected):
    state = protected
    full = physical_backups(state)[0]
    target = state.new_home()
    state.ok("backup", "restore", str(full), "--home", str(target), "--until-gtid", state.after_full)
    with open(target / "my.cnf", "a") as handle:
        handle.write("\n".join(SMALL_SERVER) + "\n")
    state.ok("server", "start", home=target)
    try:
        restored = admin(target)
        try:  # the row written after the full backup, and not the one written after the replica was added
            assert sorted(r[0] for r in query(restored, f"SELECT last_name FROM {DATABASE}.patient")) == \
                sorted([MARKER, "after the full one"])
        finally:
            restored.close()
    finally:
        EmbeddedServer(target).stop()
