"""The stock trigger's loader bypass: only a session holding the secret of the load in
progress skips the stock decrement; a typed user name ("hms_loader") is not enough."""

from __future__ import annotations

import pymysql
import pytest

from hms.connection import connect
from hms.migrations import verify_database as verify
from seed import bulk_load
from tests.support import Clinic, query

ANON_PASSWORD = "Anon-pw-4f9!x2Qz"


@pytest.fixture
def prescription(db):
    """A prescription of a doctor whose department stocks 10 units of a medication."""
    clinic = Clinic(db)
    department = clinic.department()
    doctor, patient, medication = clinic.doctor(department), clinic.patient(), clinic.medication()
    clinic.stock(department, medication, 10)
    record = clinic.record(doctor, patient)
    prescription = clinic._id("INSERT INTO prescription (record_id, prescribed_at) VALUES (%s, NOW())", (record,))
    return prescription, department, medication


def prescribe(conn, prescription: int, medication: int, secret) -> None:
    with conn.cursor() as cur:
        cur.execute("SET @hms_seed_loading = %s", (secret,))
        cur.execute("INSERT INTO prescription_medication (prescription_id, medication_id, dosage, frequency, "
                    "duration_days, quantity) VALUES (%s, %s, '1 tablet', 'Once daily', 7, 3)",
                    (prescription, medication))
    conn.commit()


def another_prescription(db, prescription: int) -> int:
    """A new prescription on the same medical record."""
    with db.cursor() as cur:
        cur.execute("INSERT INTO prescription (record_id, prescribed_at) SELECT record_id, NOW() FROM prescription "
                    "WHERE prescription_id = %s", (prescription,))
        return cur.lastrowid


def stock(db, department: int, medication: int) -> int:
    return query(db, "SELECT stock_quantity FROM department_medication WHERE department_id = %s "
                     "AND medication_id = %s", (department, medication))[0][0]


def test_a_session_that_only_types_the_loaders_name_does_not_skip_the_stock(db, migrated, prescription):
    prescription_id, department, medication = prescription
    hosts = ("localhost", "127.0.0.1", "::1")
    with db.cursor() as cur:  # an anonymous account: USER() says what the client typed
        for host in hosts:
            cur.execute("CREATE USER IF NOT EXISTS ''@%s IDENTIFIED BY %s", (host, ANON_PASSWORD))
            cur.execute(f"GRANT SELECT, INSERT ON `{migrated.database}`.* TO ''@%s", (host,))
    try:
        conn = connect(migrated.with_login(bulk_load.LOADER_USER, ANON_PASSWORD))
        try:
            assert query(conn, "SELECT SUBSTRING_INDEX(USER(), '@', 1), CURRENT_USER() LIKE '@%%'") == [
                (bulk_load.LOADER_USER, 1)]
            prescribe(conn, prescription_id, medication, 1)
        finally:
            conn.close()
    finally:
        with db.cursor() as cur:
            for host in hosts:
                cur.execute("DROP USER IF EXISTS ''@%s", (host,))
    assert stock(db, department, medication) == 7


def test_during_a_load_only_the_loader_sessions_skip_and_afterwards_nobody(db, migrated, prescription):
    prescription_id, department, medication = prescription
    with bulk_load.LoaderAccount(migrated) as loader_info:
        prescribe(db, prescription_id, medication, 1)  # an admin session with the old flag
        assert stock(db, department, medication) == 7
        prescription_id = another_prescription(db, prescription_id)  # a delete would give the 3 back
        loader = bulk_load.open_loader(loader_info)
        try:
            with loader.cursor() as cur:
                cur.execute("SET SESSION foreign_key_checks = 1")
            prescribe(loader, prescription_id, medication, bulk_load.bypass_secret(loader_info.password))
        finally:
            loader.close()
        assert stock(db, department, medication) == 7  # skipped: the loader writes final stock levels
        secret = bulk_load.bypass_secret(loader_info.password)
    prescription_id = another_prescription(db, prescription_id)
    prescribe(db, prescription_id, medication, secret)  # the load is over: its secret is worth nothing
    assert stock(db, department, medication) == 4
    assert not [p for p in verify(migrated) if "seed_loader_bypass" in p]


def test_a_wrong_secret_is_refused_like_none(db, prescription):
    prescription_id, department, medication = prescription
    with pytest.raises(pymysql.err.MySQLError):
        prescribe(db, prescription_id, 999999999, "guess")  # not stocked: the trigger ran
    prescribe(db, prescription_id, medication, "guess")
    assert stock(db, department, medication) == 7
