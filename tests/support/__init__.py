"""Helpers the tests share (not fixtures: those live in the conftest.py files).

This module: running a statement, reading a server error, a slot in the future, a home
and a small server of a test's own (`embedded_home`, `running_server`), polling until
something happens (`wait_for`), and
`Clinic`, which inserts small valid rows. The other modules of this package hold what
one area's tests and fixtures share: `browser` (Chromium and serving an app),
`console_client` (logging in and posting forms through Flask's test client),
`elevation` (console admins whose password is enrolled for admin and dba changes),
`databases` (making, describing and dropping whole databases), `queries_clinic` (the
hand-made clinic the analyst queries are checked against), `races` (one piece of work
started in several sessions at once) and `seeding` (the seed tests' scale and how they
seed a database).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from hms.server import EmbeddedServer

# The project's root directory (where cli.py, sql/ and benchmarks/ are).
ROOT = Path(__file__).resolve().parents[2]

# Numbers unique within this test run, for names of databases and rows.
unique_numbers = itertools.count(1)


def query(conn, sql: str, args=None) -> list[tuple]:
    """Run one statement and return all its rows."""
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    """Poll until predicate() is truthy; return its value, or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)


def server_error(excinfo) -> tuple[int, str]:
    """(code, message) of a pytest.raises ExceptionInfo holding a PyMySQL error."""
    return excinfo.value.args[0], excinfo.value.args[1]


def future_slot(days: int = 30, hour: int = 10, minute: int = 0) -> datetime:
    """A slot on a boundary, `days` from today."""
    day = date.today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute)


class Clinic:
    """Inserts small, valid rows into the test database and returns their ids."""

    def __init__(self, conn):
        self.conn = conn
        self.n = next(unique_numbers) * 1000

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


@contextlib.contextmanager
def running_server(name: str, prepare=None):
    """A small embedded server (the test profile) of a test's own in a fresh home
    (embedded_home), started, then stopped and its home removed afterwards. `prepare(home)`
    runs before the first start, to write the home's my.cnf (tests.support.physical.small_home)."""
    with embedded_home(name) as home:
        if prepare is not None:
            prepare(home)
        server = EmbeddedServer(home, profile="test")
        server.start()
        try:
            yield server
        finally:
            server.stop()
