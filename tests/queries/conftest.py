"""Fixtures of the query tests: a database holding only the hand-made clinic, and an analyst's login."""

from __future__ import annotations

import os

import pytest

from hms.connection import connect
from hms.migrations import Migrator
from tests.support import future_slot
from tests.support.queries_clinic import insert_clinic


@pytest.fixture(scope="module")
def clinic_db(server_info):
    """Login for a new database holding only the hand-made clinic; dropped afterwards."""
    info = server_info.with_database(f"hms_q{os.getpid()}")
    Migrator(info, include_roles=False).migrate()
    conn = connect(info)
    try:
        insert_clinic(conn)
    finally:
        conn.close()
    yield info
    conn = connect(info, database=None)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{info.database}`")
    conn.close()


@pytest.fixture
def analyst(account, clinic):
    """An analyst's login to the test database, which holds at least one patient and appointment."""
    doctor, patient = clinic.doctor(), clinic.patient()
    clinic.appointment(doctor, patient, future_slot(60))
    info = account("hms_analyst")
    return info, {"doctor": doctor, "patient": patient}
