"""Fixtures: a real MySQL-compatible server for the whole session, and databases on it.

The server comes from HMS_TEST_DATABASE_URL when set, else from testcontainers
(MySQL 8.4 with --local-infile=1) when a Docker engine answers, else from a
throwaway embedded server (mariadbd/mysqld from PATH) in a temporary directory.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pymysql
import pytest

from hms import dialect as dialects
from hms.connection import ConnectionInfo, connect, info_from_url
from hms.migrations import Migrator
from hms.server import EmbeddedServer

TEST_DATABASE = "hms_test"


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


@contextlib.contextmanager
def embedded_home(name: str):
    """A fresh directory for an EmbeddedServer home, removed afterwards.

    Not under pytest's tmp_path: /tmp/pytest-of-root is 0700, and a server started by
    root runs as the `mysql` system user, which must be able to reach its home.
    """
    path = Path(tempfile.mkdtemp(prefix=f"hms-{name}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def server_info(tmp_path_factory) -> ConnectionInfo:
    """The administrative login of the session's server, with no default database."""
    url = os.environ.get("HMS_TEST_DATABASE_URL")
    if url:
        yield info_from_url(url).with_database(None)
        return
    if _docker_answers():
        from testcontainers.mysql import MySqlContainer

        password = secrets.token_urlsafe(16)
        container = MySqlContainer("mysql:8.4", dialect="pymysql", username="root",
                                   password=password, dbname="hms_bootstrap").with_command("--local-infile=1")
        with container:
            yield ConnectionInfo(user="root", password=password, host=container.get_container_host_ip(),
                                 port=int(container.get_exposed_port(3306)))
        return
    with embedded_home("server") as home:
        server = EmbeddedServer(home, profile="test")
        server.start()
        try:
            yield server.connection_info()
        finally:
            server.stop()


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


_names = itertools.count(1)


@pytest.fixture
def fresh_database(server_info):
    """An empty, uniquely named database name (created by whoever uses it), dropped afterwards."""
    name = f"hms_t{os.getpid()}_{next(_names)}"
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


def query(conn, sql: str, args=None) -> list[tuple]:
    """Run one statement and return all its rows."""
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def server_error(excinfo) -> tuple[int, str]:
    """(code, message) of a pytest.raises ExceptionInfo holding a PyMySQL error."""
    return excinfo.value.args[0], excinfo.value.args[1]


class Clinic:
    """Inserts small, valid rows into the test database and returns their ids."""

    def __init__(self, conn):
        self.conn = conn
        self.n = next(_names) * 1000

    def _id(self, sql: str, args) -> int:
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.lastrowid

    def _tag(self) -> str:
        self.n += 1
        return f"{os.getpid()}-{self.n}-{secrets.token_hex(3)}"

    def department(self) -> int:
        return self._id("INSERT INTO department (name, location) VALUES (%s, 'Block A')",
                        (f"Dept {self._tag()}",))

    def doctor(self, department_id: int | None = None) -> int:
        department_id = department_id or self.department()
        tag = self._tag()
        return self._id("INSERT INTO doctor (first_name, last_name, specialization, department_id, email, "
                        "license_number, hire_date) VALUES ('Ada', 'Lovelace', 'General Medicine', %s, %s, %s, "
                        "'2015-01-01')", (department_id, f"dr{tag}@example.org", f"L{tag}"[:20]))

    def receptionist(self) -> int:
        return self._id("INSERT INTO receptionist (first_name, last_name, email, hire_date) "
                        "VALUES ('Rita', 'Desk', %s, '2019-03-01')", (f"rc{self._tag()}@example.org",))

    def patient(self, date_of_birth: date = date(1980, 5, 17)) -> int:
        return self._id("INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, address, city) "
                        "VALUES ('Pat', 'Ient', %s, 'Female', %s, '1 Main St', 'Springfield')",
                        (date_of_birth, f"+1-555-{self._tag()}"[:20]))

    def medication(self, unit_price: str = "2.50") -> int:
        return self._id("INSERT INTO medication (name, form, strength, manufacturer, unit_price) "
                        "VALUES (%s, 'Tablet', '500 mg', 'Acme', %s)", (f"Med {self._tag()}", unit_price))

    def stock(self, department_id: int, medication_id: int, quantity: int) -> None:
        self._id("INSERT INTO department_medication (department_id, medication_id, stock_quantity) "
                 "VALUES (%s, %s, %s)", (department_id, medication_id, quantity))

    def appointment(self, doctor_id: int, patient_id: int, starts_at: datetime,
                    status: str = "Scheduled") -> int:
        return self._id("INSERT INTO appointment (patient_id, doctor_id, starts_at, status) VALUES (%s, %s, %s, %s)",
                        (patient_id, doctor_id, starts_at, status))

    def record(self, doctor_id: int, patient_id: int) -> int:
        return self._id("INSERT INTO medical_record (patient_id, doctor_id, visit_date, diagnosis, icd10_code, "
                        "treatment) VALUES (%s, %s, '2024-02-02', 'Essential hypertension', 'I10', 'Rest')",
                        (patient_id, doctor_id))

    def prescription(self, record_id: int) -> int:
        return self._id("INSERT INTO prescription (record_id, prescribed_at) VALUES (%s, '2024-02-02 10:00')",
                        (record_id,))

    def prescribing_setup(self, stock: int) -> dict:
        """A department stocking one medication, with a doctor there and an open prescription."""
        department = self.department()
        medication = self.medication()
        self.stock(department, medication, stock)
        doctor = self.doctor(department)
        patient = self.patient()
        record = self.record(doctor, patient)
        return {"department": department, "medication": medication, "doctor": doctor,
                "patient": patient, "record": record, "prescription": self.prescription(record)}


@pytest.fixture
def clinic(db) -> Clinic:
    return Clinic(db)


def future_slot(days: int = 30, hour: int = 10, minute: int = 0) -> datetime:
    """A slot on a boundary, `days` from today."""
    day = date.today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute)


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
