"""No password ever reaches a server log: the binary log, the general and slow logs, the
audit plugin's log, the error log.

One fresh embedded server, every log it has turned on from its first start (my.cnf:
general log, slow log with long_query_time = 0, MariaDB's server_audit plugin). Then
every way hms sets a password: the administrative password of a new server, the
console's service account (`hms db migrate`), `hms users create` and `set-password`
(given on stdin and generated), a console admin, the console's add-account and
reset-password forms, a restore account and the seed loader. Every password must log in,
and none may appear in any log file, raw or decoded, nor anywhere else in the server's
home but the two 0600 option files that hold a login by design.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from hms import dialect as dialects
from hms.backup.restore_account import restore_account
from hms.config import Settings
from hms.connection import connect
from hms.optionfiles import read_option_file
from hms.server import EmbeddedServer
from hms.service_account import PASSWORD_FILE, service_login
from seed.bulk_load import LoaderAccount
from tests.support import embedded_home
from tests.support.console_client import Auth, browser

FOUND = dialects.find_server_binary()
pytestmark = pytest.mark.skipif(FOUND is None, reason="the embedded server needs mariadbd or mysqld on this machine")

DATABASE = "hms"
# Files that hold a password by design: the administrative and the service login (0600).
OPTION_FILES = ("client.cnf", PASSWORD_FILE)
# A password set in clear: IDENTIFIED BY '...' / IDENTIFIED WITH plugin BY '...' / PASSWORD('...').
CLEAR_TEXT_PASSWORD = re.compile(rb"IDENTIFIED\s+(?:WITH\s+\S+\s+)?BY\s+'|PASSWORD\s*\(\s*'", re.IGNORECASE)


def user_config(home: Path, dialect: dialects.Dialect) -> str:
    """my.cnf: hms.cnf first, then every log on, and a small server."""
    data = home / "data"
    lines = [f"!include {home / 'hms.cnf'}", "[mysqld]", "innodb_buffer_pool_size = 64M",
             "general_log = 1", f"general_log_file = {data / 'general.log'}", "log_output = FILE",
             "slow_query_log = 1", f"slow_query_log_file = {data / 'slow.log'}", "long_query_time = 0"]
    if dialect.is_mariadb:
        lines += ["innodb_log_file_size = 48M", "plugin_load_add = server_audit",
                  "loose_server_audit_logging = ON", "loose_server_audit_events = CONNECT,QUERY,TABLE",
                  f"loose_server_audit_file_path = {data / 'audit.log'}"]
    else:
        lines += ["innodb_redo_log_capacity = 100M"]
    return "\n".join(lines) + "\n"


def hms(home: Path, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("hms")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    env["HMS_HOME"] = str(home)
    result = subprocess.run([str(exe), "--quiet", *args], capture_output=True, text=True, env=env,
                            input=stdin, timeout=300)
    assert result.returncode == 0, f"hms {' '.join(args)}: {result.stderr}"
    return result


def shown_password(output: str) -> str:
    return output.split("store it now): ", 1)[1].split()[0]


def logs_in(info, user: str, password: str) -> bool:
    try:
        pymysql.connect(user=user, password=password, unix_socket=info.unix_socket, connect_timeout=10).close()
    except pymysql.err.OperationalError:
        return False
    return True


@pytest.fixture(scope="module")
def story():
    """Set every kind of password on a fresh server with every log on; stop it; yield what was set."""
    _, dialect = FOUND
    with embedded_home("nopw") as home:
        (home / "my.cnf").write_text(user_config(home, dialect))
        server = EmbeddedServer(home)
        try:
            yield _run_story(home, server)
        finally:
            server.stop()


def _run_story(home: Path, server: EmbeddedServer) -> dict:
    passwords: dict[str, str] = {}
    logins: dict[str, bool] = {}
    hms(home, "server", "start")
    admin = server.connection_info()
    passwords["root"] = admin.password
    hms(home, "db", "migrate")
    passwords["service"] = read_option_file(home / PASSWORD_FILE)["password"]

    # `hms users`: a password on stdin and a generated one, each created and then reset.
    passwords["cli-create-stdin"] = "Cli-Create-" + secrets.token_hex(6) + "-Aa1!"
    hms(home, "users", "create", "alice_cli", "--role", "analyst", "--password-stdin",
        stdin=passwords["cli-create-stdin"] + "\n")
    passwords["cli-create-generated"] = shown_password(hms(home, "users", "create", "bob_cli", "--role", "qa").stdout)
    logins["cli-create-stdin"] = logs_in(admin, "alice_cli", passwords["cli-create-stdin"])
    logins["cli-create-generated"] = logs_in(admin, "bob_cli", passwords["cli-create-generated"])
    passwords["cli-reset-stdin"] = "Cli-Reset-" + secrets.token_hex(6) + "-Bb2?"
    hms(home, "users", "set-password", "alice_cli", "--password-stdin", stdin=passwords["cli-reset-stdin"] + "\n")
    passwords["cli-reset-generated"] = shown_password(hms(home, "users", "set-password", "bob_cli").stdout)
    logins["cli-reset-stdin"] = logs_in(admin, "alice_cli", passwords["cli-reset-stdin"])
    logins["cli-reset-generated"] = logs_in(admin, "bob_cli", passwords["cli-reset-generated"])

    # The console: an admin made by the CLI, then an account added and reset through its forms.
    passwords["console-admin"] = "Console-Admin-" + secrets.token_hex(6) + "-Cc3#"
    hms(home, "console", "create-admin", "nopw_admin", "--password-stdin", stdin=passwords["console-admin"] + "\n")
    _console_story(home, admin, passwords, logins)

    # A restore account and the seed loader: both get a random password for one run.
    with connect(admin, database=None) as conn, restore_account(conn, admin, DATABASE) as login:
        passwords["restore-account"] = login.password
        logins["restore-account"] = logs_in(admin, login.user, login.password)
    with LoaderAccount(admin.with_database(DATABASE), unlogged=True) as login:
        passwords["seed-loader"] = login.password
        logins["seed-loader"] = logs_in(admin, login.user, login.password)

    with connect(admin, database=None) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@general_log, @@slow_query_log, @@long_query_time, @@log_bin")
        switches = cur.fetchone()
    server.stop()   # every log flushed and closed before it is read
    return {"home": home, "passwords": passwords, "logins": logins, "switches": switches}


def _console_story(home: Path, admin, passwords: dict, logins: dict) -> None:
    from console import create_app

    settings = Settings(home=home, database=DATABASE)
    app = create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16),
                      "HMS_SERVICE_LOGIN": service_login(settings, env={}), "HMS_DATABASE": DATABASE})
    with browser(app) as client:   # one request context per call; the session cookie is kept
        auth = Auth(client, ("nopw_admin", passwords["console-admin"]))
        assert auth.login().status_code == 302
        passwords["console-create"] = "Console-Create-" + secrets.token_hex(6) + "-Dd4*"
        response = auth.post("/accounts/new", {"name": "carol_web", "host": "%", "role": "developer",
                                               "password": passwords["console-create"]}, "/accounts/new")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        logins["console-create"] = logs_in(admin, "carol_web", passwords["console-create"])
        detail = "/accounts/carol_web/%25"
        reset = auth.post(f"{detail}/password", {"password": "", "generate": "y"}, detail)
        page = auth.client.get(reset.headers["Location"]).get_data(as_text=True)
        passwords["console-reset-generated"] = html.unescape(
            re.search(r'<code id="generated-password">([^<]+)</code>', page).group(1))
        logins["console-reset-generated"] = logs_in(admin, "carol_web", passwords["console-reset-generated"])


def log_files(home: Path) -> dict[str, bytes]:
    """Every log of the server, by name: binary logs raw and decoded, general, slow, audit, error."""
    _, dialect = FOUND
    binlogs = sorted(p for p in (home / "binlog").iterdir() if re.fullmatch(r"hms-bin\.\d+", p.name))
    tool = shutil.which("mariadb-binlog" if dialect.is_mariadb else "mysqlbinlog") or "mysqlbinlog"
    decoded = subprocess.run([tool, "--base64-output=decode-rows", "-vv", *map(str, binlogs)],
                             capture_output=True, timeout=120, check=True).stdout
    files = {p.name: p.read_bytes() for p in binlogs}
    files["binary logs, decoded"] = decoded
    for name in ("general.log", "slow.log", "audit.log"):
        path = home / "data" / name
        if path.is_file():
            files[name] = path.read_bytes()
    files["error.log"] = (home / "error.log").read_bytes()
    files["server.out"] = (home / "server.out").read_bytes()
    return files


def test_every_log_was_on_and_recorded_the_story(story):
    general, slow, long_query_time, log_bin = story["switches"]
    assert (general, slow, float(long_query_time), log_bin) == (1, 1, 0.0, 1)
    logs = log_files(story["home"])
    # The logs saw the statements that set the passwords, as hashes.
    assert b"account_create" in logs["general.log"] and b"account_set_password" in logs["slow.log"]
    assert b"hms_service" in logs["binary logs, decoded"] and b"alice_cli" in logs["binary logs, decoded"]
    if FOUND[1].is_mariadb:
        assert b"IDENTIFIED BY PASSWORD '*" in logs["binary logs, decoded"]
        assert b"account_create" in logs["audit.log"]


def test_every_password_set_from_its_hash_logs_in(story):
    assert story["logins"] and all(story["logins"].values()), story["logins"]
    assert set(story["logins"]) | {"root", "service", "console-admin"} == set(story["passwords"])


def test_no_password_in_any_server_log(story):
    logs = log_files(story["home"])
    found = [f"{kind} in {name}" for kind, password in story["passwords"].items()
             for name, text in logs.items() if password.encode() in text]
    assert found == []
    assert [name for name, text in logs.items() if CLEAR_TEXT_PASSWORD.search(text)] == []


def test_no_password_anywhere_in_the_home_but_its_option_files(story):
    home = story["home"]
    passwords = [p.encode() for p in story["passwords"].values()]
    found = []
    for path in home.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name not in OPTION_FILES:
            data = path.read_bytes()
            found += [str(path.relative_to(home)) for p in passwords if p in data]
    assert found == []
