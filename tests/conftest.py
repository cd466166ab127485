"""Fixtures every area uses: a real MySQL-compatible server for the whole session, the
migrated test database and connections to it, throwaway databases and accounts, the
service account and a console admin. Each area's own fixtures are in its conftest.py;
helpers that are not fixtures are in tests/support/.

The server comes from HMS_TEST_DATABASE_URL when set, else from testcontainers
(MySQL 8.4 with --local-infile=1) when a Docker engine answers, else from a
throwaway embedded server (mariadbd/mysqld from PATH) in a temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import secrets

import pymysql
import pytest

from hms import console_admins
from hms import dialect as dialects
from hms.accounts import AccountManager
from hms.connection import ConnectionInfo, connect, info_from_url
from hms.databases import console_schema
from hms.migrations import Migrator
from hms.passwords import generate
from hms.service_account import ensure
from tests.support import Clinic, running_server, unique_numbers

TEST_DATABASE = "hms_test"


# -- running on several workers (pytest-xdist, `make test`) ------------------------

# Each worker is a session of its own, with its own server. The scheduler below sends a
# module's tests to one worker, so a module-scoped server or replica set starts once.
# Modules that share a session fixture of an area's conftest.py go to one worker
# together, named here, so that fixture starts once; the Galera clusters share one too, so
# two clusters never probe the same ports at the same moment. A module that uses such a
# fixture and is not listed fails the run at collection (pytest_collection_modifyitems).
SHARED_WORKER = {
    "tests/cluster/": "galera",                                   # the session's cluster
    "tests/billing/test_routine_ticket_cluster.py": "galera",     # a cluster of its own
    "tests/backup/physical/": "physical",                         # physical_server
    "tests/security/test_encryption.py": "bound",                 # the server bound beyond loopback
    "tests/security/test_password_check.py": "bound",
    "tests/security/test_tls.py": "bound",
}


def pytest_configure(config):
    """Refuse several workers on the one server HMS_TEST_DATABASE_URL names: each would
    migrate, drop and re-create the same database and roles there."""
    workers = getattr(config.option, "numprocesses", None)   # -n (pytest-xdist), in the controller
    if os.environ.get("HMS_TEST_DATABASE_URL") and workers not in (None, 0, 1):
        raise pytest.UsageError("HMS_TEST_DATABASE_URL names one server for every worker: "
                                "run with -n 0 (TEST_WORKERS=0 make test)")


def worker_group(nodeid: str) -> str:
    """The unit of work a test belongs to: its module, or its SHARED_WORKER group."""
    module = nodeid.split("::")[0]
    return next((group for prefix, group in SHARED_WORKER.items() if module.startswith(prefix)), module)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkerGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return ByWorkerGroup(config, log)


def pytest_collection_modifyitems(config, items):
    """Refuse a module that uses an area's session fixture without a SHARED_WORKER group."""
    root = os.path.relpath(os.path.dirname(__file__), str(config.rootpath)).replace(os.sep, "/")
    users: dict[str, set[str]] = {}   # session fixture of an area -> the modules that use it
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        for name, defs in (info.name2fixturedefs.items() if info else ()):
            if any(d.scope == "session" and d.baseid not in ("", root) for d in defs):
                users.setdefault(name, set()).add(item.nodeid.split("::")[0])
    for name, modules in users.items():
        groups = {worker_group(module) for module in modules}
        if len(modules) > 1 and (len(groups) > 1 or groups <= modules):   # split, or not listed
            raise pytest.UsageError(f"the session fixture {name!r} is used by {', '.join(sorted(modules))}: "
                                    "give them one group in SHARED_WORKER (tests/conftest.py)")


def _docker_answers() -> bool:
    """True when a Docker engine answers /_ping on its socket (the client alone is not enough)."""
    import socket

    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(3)
            with sock:
                sock.connect(host.removeprefix("unix://"))
                sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                return b" 200 " in sock.recv(64)
        if host.startswith("tcp://"):
            address, _, port = host.removeprefix("tcp://").partition(":")
            with socket.create_connection((address, int(port or 2375)), timeout=3) as sock:
                sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                return b" 200 " in sock.recv(64)
    except OSError:
        return False
    return False


@pytest.fixture(scope="session")
def server_info(tmp_path_factory) -> ConnectionInfo:
    """The administrative login of the session's server, with no default database."""
    url = os.environ.get("HMS_TEST_DATABASE_URL")
    if url:
        yield info_from_url(url).with_database(None)
        return
    if _docker_answers():
        # testcontainers.mysql is a deprecated alias that warns on import (an error under filterwarnings).
        from testcontainers.community.mysql import MySqlContainer

        password = secrets.token_urlsafe(16)
        container = MySqlContainer("mysql:8.4", dialect="pymysql", username="root",
                                   password=password, dbname="hms_bootstrap").with_command("--local-infile=1")
        with container:
            yield ConnectionInfo(user="root", password=password, host=container.get_container_host_ip(),
                                 port=int(container.get_exposed_port(3306)))
        return
    with running_server("server") as server:
        yield server.connection_info()


@pytest.fixture(scope="session")
def dialect(server_info) -> dialects.Dialect:
    conn = connect(server_info, database=None)
    try:
        return dialects.for_connection(conn)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def migrated(server_info) -> ConnectionInfo:
    """Login for the session's migrated database `hms_test` (admin account)."""
    info = server_info.with_database(TEST_DATABASE)
    conn = connect(info, database=None)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{TEST_DATABASE}`")
    conn.close()
    Migrator(info).migrate()
    return info


@pytest.fixture
def db(migrated):
    """An autocommit admin connection to the migrated test database."""
    conn = connect(migrated)
    yield conn
    conn.close()


@pytest.fixture
def fresh_database(server_info):
    """An empty, uniquely named database name (created by whoever uses it), dropped afterwards."""
    name = f"hms_t{os.getpid()}_{next(unique_numbers)}"
    yield server_info.with_database(name)
    conn = connect(server_info, database=None)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"DROP DATABASE IF EXISTS `{name}_console`")  # its console schema
    _revoke_role_grants_on(conn, name)
    conn.close()


def _revoke_role_grants_on(conn, database: str) -> None:
    """Drop the hms roles' grants on a dropped test database: the server keeps them otherwise."""
    from hms.grants import revokes_for_grants
    from hms.roles import ROLES

    with conn.cursor() as cur:
        for role in ROLES.values():
            try:
                cur.execute("SHOW GRANTS FOR %s", (role.mysql_role,))
            except pymysql.err.MySQLError:
                continue  # the role does not exist on this server yet
            lines = [row[0] for row in cur.fetchall()]
            for revoke in revokes_for_grants(lines, database):
                if " ON *.* " not in revoke:
                    cur.execute(revoke)


@pytest.fixture
def clinic(db) -> Clinic:
    return Clinic(db)


@pytest.fixture
def account(server_info, migrated, dialect):
    """Factory: a fresh MySQL account holding one hms role as its default role; dropped afterwards."""
    made: list[tuple[str, str]] = []
    admin = connect(server_info, database=None)

    def make(role: str) -> ConnectionInfo:
        name = f"t_{role.removeprefix('hms_')}_{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(18) + "aA1!"
        with admin.cursor() as cur:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
            made.append((name, "%"))
            cur.execute(f"GRANT {role} TO %s@'%%'", (name,))
            cur.execute(dialect.set_default_role_sql(), (role, name, "%"))
        return migrated.with_login(name, password)

    yield make
    with admin.cursor() as cur:
        for name, host in made:
            cur.execute("DROP USER IF EXISTS %s@%s", (name, host))
    admin.close()


# -- the service account, accounts it makes, and console admins --------------------

@pytest.fixture(scope="session")
def service_home(tmp_path_factory):
    """An HMS_HOME holding only the service account's 0600 password file."""
    return tmp_path_factory.mktemp("hms-service-home")


@pytest.fixture(scope="session")
def service_login(migrated, service_home) -> ConnectionInfo:
    """The service account's login, created the way `hms db migrate` creates it."""
    return ensure(migrated, service_home, env={}, take_over=True)  # the suite owns its server


@pytest.fixture
def made_accounts(server_info):
    """A list tests append (name, host) to; every account in it is dropped afterwards."""
    made: list[tuple[str, str]] = []
    yield made
    conn = connect(server_info, database=None)
    with conn.cursor() as cur:
        for name, host in made:
            cur.execute("DROP USER IF EXISTS %s@%s", (name, host))
    conn.close()


@pytest.fixture
def new_name(made_accounts):
    """Factory: a fresh account name, registered for clean-up under host %."""
    def make(prefix: str = "t_acc", host: str = "%") -> str:
        name = f"{prefix}_{secrets.token_hex(4)}"
        made_accounts.append((name, host))
        return name
    return make


@pytest.fixture
def console_admin(service_login, migrated):
    """A console admin (name, password), deleted afterwards unless the test already did."""
    name, password = f"adm_{secrets.token_hex(4)}", generate()
    schema = console_schema(migrated.database)
    conn = connect(service_login, database=None)
    console_admins.create(conn, schema, name, password)
    yield name, password
    with contextlib.suppress(console_admins.AdminError):
        console_admins.delete(conn, schema, name)
    conn.close()


@pytest.fixture
def service(service_login, migrated):
    """An AccountManager logged in as the service account, on the migrated test database."""
    conn = connect(service_login, database=None)
    yield AccountManager(conn, migrated.database, actor="pytest", source="tests")
    conn.close()
