"""What a roll-forward may touch: BINLOG REPLAY lets row events past table grants, so the
replay guard keeps them inside the target database; the restore account holds BINLOG
REPLAY only while it replays; account statements never reach the server's accounts;
no password on a command line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hms import dialect as dialects
from hms.backup import binlog, binlogfile, create_backup
from hms.backup.errors import BackupError
from hms.backup.point_in_time import restore_until
from hms.backup.replay_stream import ReplayGuard
from hms.backup.restore_account import account_name
from hms.connection import connect
from hms.optionfiles import defaults_file
from tests.support import query, unique_numbers
from tests.support.databases import drop_database, make_database
from tests.support.pitr import binlog_server, execute, gtid_position, run_hms

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    with binlog_server("pitrsec") as running:
        yield running


@pytest.fixture(scope="module")
def source(server):
    return make_database(server.info, "hms_pitrsec_src", patients=200)


@pytest.fixture
def target(server):
    name = f"hms_pitrsec_{next(unique_numbers)}"
    yield name
    drop_database(server.info, name)
    execute(server.info, f"DROP USER IF EXISTS '{account_name(name)}'@'localhost'")


@pytest.fixture
def two_databases(server):
    """Databases `mine` and `theirs` (a table t each), and an account with every privilege on `mine`
    only, plus BINLOG REPLAY; yields (its login, the binary log file and the group writing theirs.t)."""
    n = next(unique_numbers)
    mine, theirs, user = f"pitr_mine_{n}", f"pitr_theirs_{n}", f"pitr_replayer_{n}"
    execute(server.info, f"CREATE DATABASE {mine}", f"CREATE DATABASE {theirs}",
            f"CREATE TABLE {mine}.t (id INT PRIMARY KEY)", f"CREATE TABLE {theirs}.t (id INT PRIMARY KEY)",
            f"CREATE USER {user}@localhost IDENTIFIED BY 'Replay-{n}-pw!'",
            f"GRANT ALL ON {mine}.* TO {user}@localhost", f"GRANT BINLOG REPLAY ON *.* TO {user}@localhost",
            f"INSERT INTO {theirs}.t VALUES (1), (2)", f"DELETE FROM {theirs}.t")
    conn = connect(server.info, database=None)
    try:
        name = binlog.server_logs(conn)[-1][0]
    finally:
        conn.close()
    yield server.info.with_login(user, f"Replay-{n}-pw!"), mine, theirs, name
    execute(server.info, f"DROP DATABASE {mine}", f"DROP DATABASE {theirs}", f"DROP USER {user}@localhost")


def _insert_group(path: Path, database: str) -> binlogfile.Group:
    groups = [g for g in binlogfile.scan(path) if (database, "t") in g.tables]
    return groups[0]  # the INSERT (the DELETE comes after it)


def _replay(login, path: Path, group: binlogfile.Group, *, guard_databases: set[str] | None):
    """mariadb-binlog over one transaction | (guard) | mariadb as `login`; returns (guard, client exit code)."""
    tool = dialects.binlog_binary(dialects.MARIADB)
    reader = subprocess.Popen([tool, "--no-defaults", f"--start-position={group.start}",
                               f"--stop-position={group.end}", str(path)], stdout=subprocess.PIPE)
    with defaults_file(login) as cnf:
        client = subprocess.Popen(["mariadb", f"--defaults-extra-file={cnf}", "--batch"], stdin=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        guard = ReplayGuard(reader.stdout, client.stdin, databases=guard_databases, preserve_gtids=False)
        guard.start()
        client.stderr.read()
        guard.join()
        code = client.wait()
        reader.wait()
        reader.stdout.close()
        client.stderr.close()
    return guard, code


def rows(info, table: str) -> list[tuple]:
    conn = connect(info, database=None)
    try:
        return query(conn, f"SELECT id FROM {table} ORDER BY id")
    finally:
        conn.close()


def test_binlog_replay_lets_row_events_past_table_grants(server, two_databases, tmp_path):
    """Why the guard exists: the server checks no table grant for a BINLOG statement's row events."""
    login, mine, theirs, name = two_databases
    (path,) = binlog.fetch(server.info, [name], tmp_path)
    guard, code = _replay(login, path, _insert_group(path, theirs), guard_databases=None)
    assert code == 0 and guard.error is None
    assert rows(server.info, f"{theirs}.t") == [(1,), (2,)]  # written by an account with no grant on it


def test_the_guard_stops_row_events_of_another_database(server, two_databases, tmp_path):
    login, mine, theirs, name = two_databases
    (path,) = binlog.fetch(server.info, [name], tmp_path)
    guard, _ = _replay(login, path, _insert_group(path, theirs), guard_databases={mine})
    assert isinstance(guard.error, BackupError)
    assert f"row events for database '{theirs}'" in guard.error.message
    assert rows(server.info, f"{theirs}.t") == []


def _grants(info, user: str) -> list[str]:
    conn = connect(info, database=None)
    try:
        return [row[0] for row in query(conn, "SHOW GRANTS FOR %s@'localhost'", (user,))]
    finally:
        conn.close()


def _locked(info, user: str) -> bool:
    conn = connect(info, database=None)
    try:
        return "ACCOUNT LOCK" in query(conn, "SHOW CREATE USER %s@'localhost'", (user,))[0][0]
    finally:
        conn.close()


def _tool_command_lines() -> list[list[str]]:
    """The command lines of this process's running mariadb / mariadb-binlog children."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "")
        if parent == str(os.getpid()) and argv and Path(argv[0].decode()).name in ("mariadb", "mariadb-binlog"):
            found.append([a.decode() for a in argv if a])
    return found


def test_the_restore_account_holds_binlog_replay_only_while_it_replays(server, source, target, tmp_path):
    made = create_backup(source, tmp_path, key_file=server.key_file)
    execute(source, *(f"INSERT INTO department (name, location) VALUES ('Replay {i}', 'x')" for i in range(20)))
    user = account_name(target)
    seen: dict = {}

    def planned(plan):
        def progress(n):
            if "grants" not in seen:
                seen["grants"] = _grants(server.info, user)
                seen["commands"] = _tool_command_lines()
        return progress

    restore_until(server.info, made.path, target, until_gtid=gtid_position(server.info), backup_dir=tmp_path,
                  key_file=server.key_file, on_planned=planned)

    assert any("BINLOG REPLAY" in g for g in seen["grants"])
    clients = [c for c in seen["commands"] if Path(c[0]).name == "mariadb"]
    assert clients and all(c[1].startswith("--defaults-extra-file=") for c in clients)
    for command in seen["commands"]:
        assert not any(a.startswith(("--password", "-p")) for a in command), command
    after = _grants(server.info, user)
    assert not any("BINLOG REPLAY" in g for g in after)
    assert any(f"ON `{target}`.*" in g for g in after) and not any("ON *.*" in g and "USAGE" not in g for g in after)
    assert _locked(server.info, user)


def test_account_statements_in_the_range_never_reach_the_servers_accounts(server, source, target, tmp_path):
    made = create_backup(source, tmp_path, key_file=server.key_file)
    user = f"pitr_ghost_{next(unique_numbers)}"
    # Run with the source as default database, so they pass the database filter.
    execute(source, f"CREATE USER {user}@localhost IDENTIFIED BY 'Ghost-pw-1!'",
            f"GRANT SELECT ON {source.database}.* TO {user}@localhost",
            "INSERT INTO department (name, location) VALUES ('After the grant', 'x')")
    execute(source, "SET SESSION sql_log_bin = 0", f"DROP USER {user}@localhost")   # gone, unlogged

    result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                     "--until-gtid", gtid_position(server.info))

    assert result.exit_code == 0, result.output
    assert "left out an account statement" in result.stderr and "CREATE USER" in result.stderr
    conn = connect(server.info, database=None)
    try:
        assert query(conn, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (user,)) == [(0,)]
        assert query(conn, f"SELECT COUNT(*) FROM `{target}`.department WHERE name = 'After the grant'") == [(1,)]
    finally:
        conn.close()
