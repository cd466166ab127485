"""Encryption at rest: a home made with --encrypt keeps a marker patient name out of every
file it and its backups hold (raw bytes, the binary log archive too), reads it back through
SQL, restores an encrypted backup to the same checksums and to a moment through the
encrypted archive, refuses a tampered one, and rotates its key."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pymysql
import pytest
from click.testing import CliRunner

from cli import cli
from hms.backup import archive as archives
from hms.backup import binlog
from hms.backup import encryption as backup_encryption
from hms.backup.manifest import file_digest, list_backups
from hms.backup.restore_account import account_name
from hms.server import EmbeddedServer
from tests.security.conftest import hms_process
from tests.support import embedded_home, query
from tests.support.pitr import next_second

pytestmark = pytest.mark.slow
MARKER = f"Qmarker{secrets.token_hex(5)}"


@pytest.fixture(scope="module")
def encrypted():
    """A migrated home started with `hms server start --encrypt`, a backup folder, and `hms` for it."""
    with embedded_home("enc") as home:
        backups = Path(tempfile.mkdtemp(prefix="hms-enc-backups-"))
        env = {"HMS_HOME": str(home), "HMS_DATABASE_URL": "", "HMS_DATABASE": "hms", "HMS_SERVICE_PASSWORD": "",
               "HMS_BACKUP_DIR": str(backups)}

        def hms(*args, input=None):
            return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
        old = os.environ.get("HMS_HOME")
        os.environ["HMS_HOME"] = str(home)  # the backup key is found through HMS_HOME
        try:
            result = hms_process(home, "server", "start", "--encrypt")
            assert result.returncode == 0, result.stderr
            assert hms("db", "migrate").exit_code == 0
            yield home, backups, hms
        finally:
            if old is None:
                os.environ.pop("HMS_HOME", None)
            else:
                os.environ["HMS_HOME"] = old
            EmbeddedServer(home).stop()
            shutil.rmtree(backups, ignore_errors=True)


def admin(home):
    info = EmbeddedServer(home).connection_info()
    return pymysql.connect(unix_socket=info.unix_socket, user=info.user, password=info.password, autocommit=True,
                           database="hms")


def wait_until_encrypted(conn, seconds: float = 180) -> None:
    """Until the background threads have encrypted every tablespace (the system one too)."""
    deadline = time.monotonic() + seconds
    while True:
        left = query(conn, "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                           "WHERE ENCRYPTION_SCHEME = 0 OR ROTATING_OR_FLUSHING = 1")[0][0]
        if left == 0 or time.monotonic() > deadline:
            assert left == 0, "tablespaces still unencrypted"
            return
        time.sleep(1)


def files_holding(marker: str, *roots: Path) -> list[str]:
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink() and path.suffix != ".sock":
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                at = data.find(marker.encode())
                if at >= 0:
                    found.append(str(path))
                    print(f"{path} ({len(data)} bytes) holds the marker at {at}: {data[max(0, at - 64):at + 64]!r}")
    return found


def table_checksums(conn, database: str) -> dict[str, int]:
    tables = [r[0] for r in query(conn, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                                        "AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", (database,))]
    return {t: query(conn, f"CHECKSUM TABLE `{database}`.`{t}`")[0][1] for t in tables}


@pytest.fixture(scope="module")
def marked(encrypted):
    """The marker patient inserted through SQL, everything flushed, and one backup made."""
    home, backups, hms = encrypted
    conn = admin(home)
    query(conn, "INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, address, city) "
                "VALUES (%s, %s, '1970-01-01', 'Female', '+1-555-0100', '1 Main St', 'Springfield')",
          (MARKER, MARKER))
    query(conn, "UPDATE patient SET city = %s WHERE last_name = %s", (MARKER, MARKER))  # undo and redo too
    wait_until_encrypted(conn)
    query(conn, "SET GLOBAL innodb_max_dirty_pages_pct = 0")
    conn.close()
    result = hms("backup", "create", "--json")  # archives the binary log file holding the marker
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["archived_binlogs"], result.output
    time.sleep(3)  # let the page cleaner write the dirty pages (encrypted) to the data files
    return encrypted


def test_keys_are_private_and_the_server_runs_with_malloc_perturb(encrypted):
    home = encrypted[0]
    for key in ("server.key", "backup.key"):
        assert stat.S_IMODE((home / "keys" / key).stat().st_mode) == 0o600, key
    pid = EmbeddedServer(home).status().pid
    # Freed memory overwritten: Aria's encrypted index pages cannot carry stale plain text out.
    assert b"MALLOC_PERTURB_=165" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")


def test_the_marker_is_in_no_file_of_the_home_or_the_backups_and_reads_back(marked):
    home, backups, _ = marked
    assert list(backups.glob("*.sql.gz")), "no backup was made"
    archived = list((backups / "binlogs").glob("hms-bin.*"))
    assert archived and all(backup_encryption.is_encrypted(path) for path in archived), archived
    assert files_holding(MARKER, home, backups) == []
    conn = admin(home)
    assert query(conn, "SELECT first_name, city FROM patient WHERE last_name = %s", (MARKER,)) == [(MARKER, MARKER)]
    variables = dict(query(conn, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_encrypt_tables', "
                                 "'innodb_encrypt_log', 'encrypt_binlog', 'encrypt_tmp_files', 'aria_encrypt_tables', "
                                 "'innodb_encrypt_temporary_tables', 'encrypt_tmp_disk_tables')"))
    conn.close()
    assert set(variables.values()) == {"ON"}, variables


def test_an_unencrypted_home_would_hold_the_marker(tmp_path):
    """The search can fail: the same search over a plain backup file finds the marker."""
    plain = tmp_path / "plain.sql"
    plain.write_bytes(f"INSERT INTO patient VALUES ('{MARKER}');".encode())
    assert files_holding(MARKER, tmp_path) == [str(plain)]


def test_the_encrypted_backup_restores_to_the_same_checksums(marked):
    home, backups, hms = marked
    path = sorted(backups.glob("*.sql.gz"))[-1]
    assert backup_encryption.is_encrypted(path)
    result = hms("backup", "restore", str(path), "--into", "hms_copy")
    assert result.exit_code == 0, result.output
    conn = admin(home)
    try:
        assert table_checksums(conn, "hms_copy") == table_checksums(conn, "hms")
        assert query(conn, "SELECT city FROM hms_copy.patient WHERE last_name = %s", (MARKER,)) == [(MARKER,)]
    finally:
        query(conn, "DROP DATABASE IF EXISTS hms_copy")
        conn.close()
    assert files_holding(MARKER, backups) == []


def test_a_tampered_or_cut_encrypted_backup_is_refused(marked, tmp_path):
    backups = marked[1]
    path = sorted(backups.glob("*.sql.gz"))[-1]
    data = bytearray(path.read_bytes())
    flipped = tmp_path / "flipped.sql.gz"
    data[len(data) // 2] ^= 0x01
    flipped.write_bytes(bytes(data))
    cut = tmp_path / "cut.sql.gz"
    cut.write_bytes(path.read_bytes()[:-20])
    for bad in (flipped, cut):
        with pytest.raises(Exception) as excinfo:
            with backup_encryption.open_backup(bad) as handle:
                while handle.read(1 << 16):
                    pass
        assert "fails its authentication" in str(excinfo.value) or "cut short" in str(excinfo.value)


def the_backup(home, backups):
    (backup,) = list_backups(backups, key_file=home / "backup.key")
    return backup, archives.coordinates_of(backup)


def purge_archived(home) -> list[str]:
    """Purge the server's binary log files before its current one (archive-binlogs has just closed and
    archived them); return the names purged. Repeated until the binlog checkpoint lets them go."""
    conn = admin(home)
    try:
        before = [row[0] for row in query(conn, "SHOW BINARY LOGS")]
        deadline = time.monotonic() + 30
        while True:
            query(conn, "PURGE BINARY LOGS TO %s", (before[-1],))
            left = [row[0] for row in query(conn, "SHOW BINARY LOGS")]
            if len(left) == 1 or time.monotonic() > deadline:
                assert left == before[-1:], left
                return before[:-1]
            time.sleep(0.2)
    finally:
        conn.close()


def staging_left() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{binlog.STAGING_PREFIX}{os.getpid()}-*"))


def test_a_point_in_time_restore_reads_the_encrypted_binlog_archive(marked):
    home, backups, hms = marked
    info = EmbeddedServer(home).connection_info()
    backup, start = the_backup(home, backups)
    conn = admin(home)
    try:
        for i in range(3):
            query(conn, "INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, address, city) "
                        "VALUES (%s, %s, '1980-01-01', 'Other', '+1-555-0101', 'x', 'y')", (f"EncPitr{i}", MARKER))
        moment = next_second(info)
        query(conn, "DELETE FROM patient WHERE first_name LIKE 'EncPitr%'")
    finally:
        conn.close()
    archived = hms("backup", "archive-binlogs")
    assert archived.exit_code == 0, archived.output
    assert start.file in purge_archived(home)  # from now on only the archive has the backup's log

    result = hms("backup", "restore", str(backup.path), "--into", "hms_pitr", "--until", moment)

    conn = admin(home)
    try:
        assert result.exit_code == 0, result.output
        assert query(conn, "SELECT first_name FROM hms_pitr.patient WHERE last_name = %s ORDER BY first_name",
                     (MARKER,)) == [("EncPitr0",), ("EncPitr1",), ("EncPitr2",), (MARKER,)]
    finally:
        query(conn, "DROP DATABASE IF EXISTS hms_pitr")
        query(conn, f"DROP USER IF EXISTS '{account_name('hms_pitr')}'@'localhost'")
        conn.close()
    assert staging_left() == []  # the decrypted copies went with the staging folder
    assert files_holding(MARKER, backups) == []


def test_a_tampered_encrypted_binlog_archive_file_is_refused_before_anything_is_written(marked):
    home, backups, hms = marked
    backup, start = the_backup(home, backups)
    key_file = home / "backup.key"
    path = backups / "binlogs" / start.file
    original = path.read_bytes()
    archive = archives.load(backups, key_file)
    entry = archive.files[start.file]
    try:
        data = bytearray(original)
        data[40] ^= 0x01  # inside the first frame's ciphertext
        path.write_bytes(bytes(data))
        entry.sha256 = file_digest(path)[1]  # even with the index re-signed to match, the frame is refused
        archive.save()
        result = hms("backup", "restore", str(backup.path), "--into", "hms_tampered", "--until",
                     next_second(EmbeddedServer(home).connection_info()))
        assert result.exit_code == 1
        assert "fails its authentication" in result.output, result.output
        conn = admin(home)
        try:
            assert query(conn, "SHOW DATABASES LIKE 'hms_tampered'") == []
        finally:
            conn.close()
        assert staging_left() == []
    finally:
        path.write_bytes(original)
        entry.sha256 = file_digest(path)[1]
        archive.save()


def test_a_plain_file_archived_before_encryption_is_still_read(marked):
    home, backups, hms = marked
    backup, start = the_backup(home, backups)
    path = backups / "binlogs" / start.file
    original = path.read_bytes()
    archive = archives.load(backups, home / "backup.key")
    entry = archive.files[start.file]
    saved = dict(entry.__dict__)
    try:
        with backup_encryption.open_backup(path) as reader:
            path.write_bytes(reader.read())  # as an older hms archived it
        entry.bytes, entry.sha256 = file_digest(path)
        entry.plain_bytes = entry.plain_sha256 = None
        archive.save()
        result = hms("backup", "restore", str(backup.path), "--into", "hms_plainarc", "--until",
                     next_second(EmbeddedServer(home).connection_info()))
        conn = admin(home)
        try:
            assert result.exit_code == 0, result.output
            assert query(conn, "SELECT first_name FROM hms_plainarc.patient WHERE last_name = %s", (MARKER,)) \
                == [(MARKER,)]  # the EncPitr rows were deleted before now
        finally:
            query(conn, "DROP DATABASE IF EXISTS hms_plainarc")
            query(conn, f"DROP USER IF EXISTS '{account_name('hms_plainarc')}'@'localhost'")
            conn.close()
    finally:
        path.write_bytes(original)
        entry.__dict__.update(saved)
        archive.save()


def test_rotate_key_re_encrypts_every_table_under_a_new_key(marked):
    home, backups, hms = marked
    result = hms_process(home, "server", "rotate-key")  # restarts the server: its own process
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("key 2 is now the default")
    conn = admin(home)
    try:
        keys = dict(query(conn, "SELECT NAME, CURRENT_KEY_ID FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                                "WHERE NAME LIKE 'hms/%'"))
        assert keys and set(keys.values()) == {2}, keys
        assert query(conn, "SELECT city FROM patient WHERE last_name = %s", (MARKER,)) == [(MARKER,)]
        wait_until_encrypted(conn)
    finally:
        conn.close()
    assert files_holding(MARKER, home, backups) == []


def test_encrypt_on_an_existing_plain_home_is_refused(bound):
    result = hms_process(bound[0], "server", "start", "--encrypt")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: the home") and "created without encryption" in result.stderr
