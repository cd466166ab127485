"""A restore is a trust boundary (issue 10): nothing restored runs with more than the
database's own privileges, only manifests signed here are trusted, LOAD DATA LOCAL is
off, backups are the owner's only, links are never served, and odd table names work."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import secrets
import stat
from pathlib import Path

import pymysql
import pytest

from hms.backup import (
    BackupError,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from hms.backup.manifest import manifest_path
from hms.backup.restore_account import account_name
from hms.connection import connect
from tests.support import query
from tests.support.backups import back_up, run_cli
from tests.support.databases import database_exists


def hand_made(directory: Path, database: str, sql: bytes) -> Path:
    """A dump written by hand with a manifest holding its real size and sha256, but no MAC."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{database}_20240101T000000.000Z.sql.gz"
    data = gzip.compress(sql + b"\n-- Dump completed on 2024-01-01  0:00:00\n")
    path.write_bytes(data)
    manifest = {"format": "hms-backup/1", "database": database, "created_at": "2024-01-01T00:00:00+00:00",
                "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "server_version": "10.11",
                "dump_tool": "mariadb-dump", "tables": {"t": 0}}
    manifest_path(path).write_text(json.dumps(manifest))
    return path


# -- High: definer-rights objects ---------------------------------------------------

def test_an_admin_accounts_definer_procedure_grants_nothing_after_a_restore(server_info, migrated, account,
                                                                           target, tmp_path):
    admin_login = account("hms_admin")
    user = admin_login.user
    proc, event = f"t_escalate_{secrets.token_hex(3)}", f"t_tick_{secrets.token_hex(3)}"
    conn = connect(admin_login)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE PROCEDURE `{proc}`() SQL SECURITY DEFINER "
                        f"GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%' WITH GRANT OPTION")
            cur.execute(f"CREATE EVENT `{event}` ON SCHEDULE EVERY 1 DAY ENABLE DO SELECT 1")
        made = create_backup(migrated, tmp_path)
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP PROCEDURE IF EXISTS `{proc}`")
            cur.execute(f"DROP EVENT IF EXISTS `{event}`")
        conn.close()

    refused = run_cli(migrated, tmp_path, "backup", "restore", str(made.path), "--into", target)
    assert refused.exit_code == 1 and refused.output.count("\n") == 1, refused.output
    assert refused.output.startswith("Error: ") and f"procedure {proc}" in refused.output
    assert f"event {event}" in refused.output and "--allow-definer-objects" in refused.output
    assert not database_exists(server_info, target)

    allowed = run_cli(migrated, tmp_path, "backup", "restore", str(made.path), "--into", target,
                      "--allow-definer-objects")
    assert allowed.exit_code == 0, allowed.output
    admin = connect(server_info, database=None)
    try:
        (definer,), = query(admin, "SELECT DEFINER FROM information_schema.ROUTINES "
                                   "WHERE ROUTINE_SCHEMA = %s AND ROUTINE_NAME = %s", (target, proc))
        assert definer.startswith(account_name(target) + "@")
        owner, host = definer.split("@", 1)
        grants = [row[0] for row in query(admin, "SHOW GRANTS FOR %s@%s", (owner, host))]
        assert all(f"ON `{target}`.*" in line or line.startswith("GRANT USAGE ON *.*") for line in grants), grants
        assert not any("GRANT OPTION" in line for line in grants), grants
        assert query(admin, "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s "
                            "AND EVENT_NAME = %s", (target, event)) == [("DISABLED",)]
        with admin.cursor() as cur:
            cur.execute(f"GRANT EXECUTE ON `{target}`.* TO %s@'%%'", (user,))
    finally:
        admin.close()

    caller = connect(admin_login.with_database(target))
    try:
        with pytest.raises(pymysql.err.MySQLError), caller.cursor() as cur:
            cur.execute(f"CALL `{proc}`()")
    finally:
        caller.close()
    admin = connect(server_info, database=None)
    try:
        grants = [row[0] for row in query(admin, "SHOW GRANTS FOR %s@'%%'", (user,))]
    finally:
        admin.close()
    assert not any(line.startswith("GRANT ALL PRIVILEGES ON *.*") for line in grants), grants


# -- Medium 1: signed manifests -------------------------------------------------------

def test_a_hand_made_backup_with_a_real_sha256_is_refused(server_info, migrated, target, tmp_path):
    evil = f"t_evil_{secrets.token_hex(3)}"
    path = hand_made(tmp_path, migrated.database,
                     f"CREATE TABLE t (a INT);\nCREATE USER '{evil}'@'%' IDENTIFIED BY 'x1!Aaaaaaaaa';\n".encode())
    for args in (["backup", "verify", "--no-source", str(path)], ["backup", "restore", str(path), "--into", target]):
        result = run_cli(migrated, tmp_path, *args)
        assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
        assert result.output.startswith("Error: ") and "unsigned" in result.output
    assert [b.signed for b in list_backups(tmp_path)] == [False]
    assert "UNSIGNED" in run_cli(migrated, tmp_path, "backup", "list").output

    # Trusted by the operator, it still runs only as the restore account: CREATE USER is refused.
    result = run_cli(migrated, tmp_path, "backup", "restore", str(path), "--into", target, "--trust-unsigned")
    assert result.exit_code == 1 and "denied" in result.output.lower(), result.output
    admin = connect(server_info, database=None)
    try:
        assert query(admin, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (evil,)) == [(0,)]
    finally:
        admin.close()
    assert not database_exists(server_info, target)


def test_the_console_refuses_an_unsigned_backup_entirely(app, auth, target, server_info):
    directory = app.config["HMS_BACKUP_DIR"]
    path = hand_made(directory, app.config["HMS_DATABASE"], b"CREATE TABLE t (a INT);\n")
    page = auth.client.get("/db-tools/").get_data(as_text=True)
    assert "untrusted" in page and f"/db-tools/download/{path.name}" not in page
    assert auth.client.get(f"/db-tools/download/{path.name}").status_code == 404
    assert auth.client.get(f"/db-tools/restore?name={path.name}").status_code == 404
    for url, data in (("/db-tools/verify", {"name": path.name}),
                      ("/db-tools/restore", {"name": path.name, "into": target, "confirm": target})):
        assert auth.post(url, data, "/db-tools/").status_code == 404
    assert not database_exists(server_info, target)


# -- Medium 2: LOAD DATA LOCAL ---------------------------------------------------------

def test_a_trusted_dump_cannot_load_a_local_file(server_info, migrated, target, tmp_path):
    secret = tmp_path / "client.cnf"
    marker = f"password=secret-{secrets.token_hex(8)}"
    secret.write_text(marker + "\n")
    path = hand_made(tmp_path / "backups", migrated.database,
                     f"CREATE TABLE t (a TEXT);\nLOAD DATA LOCAL INFILE '{secret}' INTO TABLE t;\n".encode())
    with pytest.raises(BackupError, match="local infile|LOCAL|local_infile"):
        restore_backup(server_info, path, target, trust_unsigned=True)
    assert not database_exists(server_info, target)


# -- Medium 3: the owner's only ----------------------------------------------------------

def test_backups_and_manifests_are_private_whatever_the_umask(migrated, tmp_path):
    directory = tmp_path / "backups"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    old = os.umask(0o022)
    try:
        made = create_backup(migrated, directory)
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(directory) == 0o700
    assert mode(made.path) == 0o600 and mode(manifest_path(made.path)) == 0o600


# -- Low: links, changed files, odd names -------------------------------------------------

def test_download_refuses_a_link_and_a_file_changed_since_it_was_listed(app, auth, tmp_path):
    name = back_up(app, auth)
    directory = app.config["HMS_BACKUP_DIR"]
    secret = tmp_path.parent / f"client-{secrets.token_hex(3)}.cnf"
    secret.write_text("[client]\npassword=do-not-serve\n")
    link = directory / f"{app.config['HMS_DATABASE']}_20200101T000000.000Z.sql.gz"
    link.symlink_to(secret)
    manifest_path(link).write_text(manifest_path(directory / name).read_text())
    response = auth.client.get(f"/db-tools/download/{link.name}")
    assert response.status_code == 404 and b"do-not-serve" not in response.data
    data = (directory / name).read_bytes()
    (directory / name).write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    response = auth.client.get(f"/db-tools/download/{name}")
    assert response.status_code == 409


def test_a_table_named_a_dash_b_backs_up_and_verifies(server_info, target, tmp_path):
    conn = connect(server_info, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{target}`")
            cur.execute(f"CREATE TABLE `{target}`.`a-b` (id INT PRIMARY KEY, `c-d` VARCHAR(10), `e``f` INT)")
            cur.execute(f"INSERT INTO `{target}`.`a-b` VALUES (1, 'x', 2), (2, NULL, NULL)")
    finally:
        conn.close()
    made = create_backup(server_info.with_database(target), tmp_path)
    assert made.manifest.tables == {"a-b": 2}
    result = verify_backup(server_info, made.path)
    assert result.ok and result.source_compared, result.problems
