"""Who read what: the server's audit plugin records each account's table reads and writes,
`hms audit access` and the console's audit page summarise them, and no password is written."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pymysql

from hms import access_audit
from hms.connection import connect
from tests.support import query


def audit_files(server_info) -> list[Path]:
    conn = connect(server_info, database=None)
    try:
        return access_audit.log_files(conn)
    finally:
        conn.close()


def wait_for(predicate, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_an_analysts_select_on_patient_shows_up_in_hms_audit_access(account, run, clinic):
    clinic.patient()
    analyst = account("hms_analyst")
    conn = connect(analyst)
    for _ in range(3):
        query(conn, "SELECT first_name, last_name FROM patient WHERE last_name = 'Ient' LIMIT 5")
    conn.close()

    def summary():
        result = run("audit", "access", "--account", analyst.user, "--table", "patient", "--json", database="hms_test")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["access"]
    rows = wait_for(lambda: [r for r in summary() if r["reads"] >= 3])
    assert [(r["account"], r["table"], r["reads"], r["writes"]) for r in rows] == \
        [(analyst.user, "hms_test.patient", 3, 0)]
    text = run("audit", "access", "--account", analyst.user, database="hms_test").output
    assert f"{analyst.user}  hms_test.patient" in text and "1 ok, 0 failed" in text


def test_a_write_and_since_are_counted_apart(account, run):
    developer = account("hms_developer")
    conn = connect(developer)
    query(conn, "INSERT INTO department (name, location) VALUES (CONCAT('Audit ', UUID()), 'Block Z')")
    conn.close()

    def writes(*extra):
        result = run("audit", "access", "--account", developer.user, "--json", *extra, database="hms_test")
        return {r["table"]: r["writes"] for r in json.loads(result.output)["access"]}
    assert wait_for(lambda: writes().get("hms_test.department") == 1)
    assert writes("--since", "2999-01-01") == {}


def test_the_audit_records_no_statement_text(account, server_info):
    marker = "Zebulon-Quixote-Marker"
    developer = account("hms_developer")
    conn = connect(developer)
    query(conn, "SELECT COUNT(*) FROM patient WHERE last_name = %s", (marker,))
    conn.close()
    time.sleep(1)
    for path in audit_files(server_info):
        assert marker.encode() not in path.read_bytes(), path


def test_a_password_set_through_the_console_appears_in_no_log_file(console_auth, new_name, server_info, db):
    console_auth.login()
    name = new_name()
    first, second = "Console-Pass-77!x", "Second-Pass-88!y"
    console_auth.post("/accounts/new", {"name": name, "host": "%", "role": "analyst", "password": first},
                      "/accounts/new")
    detail = f"/accounts/{name}/%25"
    response = console_auth.post(f"{detail}/password", {"password": second}, detail)
    assert response.status_code == 302 and "/accounts/shown/" in response.headers["Location"]
    pymysql.connect(user=name, password=second, unix_socket=server_info.unix_socket, host=server_info.host,
                    port=server_info.port).close()
    files = audit_files(server_info)
    error_log = Path(query(db, "SELECT @@log_error")[0][0])
    if not error_log.is_absolute():
        error_log = Path(query(db, "SELECT @@datadir")[0][0]) / error_log
    logged = [*files, error_log]
    assert any(name.encode() in f.read_bytes() for f in files)  # the login was recorded
    for path in logged:
        data = path.read_bytes()
        for password in (first, second):
            assert password.encode() not in data, path


def test_the_console_audit_page_shows_who_read_what(console_auth, account):
    analyst = account("hms_analyst")
    conn = connect(analyst)
    query(conn, "SELECT COUNT(*) FROM medical_record")
    conn.close()
    console_auth.login()

    def page():
        return console_auth.client.get("/audit/?access_table=medical_record").get_data(as_text=True)
    assert wait_for(lambda: analyst.user in page())
    text = page()
    assert "Who read what on the server" in text and "hms_test.medical_record" in text


def test_audit_files_are_the_server_accounts_alone(server_info):
    files = audit_files(server_info)
    directory = files[-1].parent
    assert directory.stat().st_mode & 0o077 == 0
    for path in files:
        assert path.stat().st_mode & 0o007 == 0


def test_a_page_view_reads_only_the_newest_bytes_and_skips_old_files(server_info, tmp_path):
    """The console's bound: events() reads the newest tail_bytes of the files, and none written before `since`."""
    from datetime import datetime, timedelta

    real = audit_files(server_info)[-1].read_text().splitlines()
    table_lines = [line for line in real if ",READ," in line][:1]
    assert table_lines, "the server wrote no table event"
    old, new = tmp_path / "a.log.1", tmp_path / "a.log"
    old.write_text("\n".join(table_lines * 50) + "\n")
    new.write_text("\n".join(table_lines * 1000) + "\n")
    everything = list(access_audit.events([old, new]))
    assert len(everything) == 1050
    line_bytes = len(table_lines[0]) + 1
    tail = list(access_audit.events([old, new], tail_bytes=10 * line_bytes))
    assert 9 <= len(tail) <= 10
    long_ago = datetime.now() - timedelta(days=30)
    os.utime(old, (long_ago.timestamp(), long_ago.timestamp()))
    assert len(list(access_audit.events([old, new], since=datetime.now() - timedelta(days=7)))) == 1000
