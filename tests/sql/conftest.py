"""Fixtures of the tests of the SQL objects (tables, triggers, routines, roles, read paths).

They run against the session's migrated database through the root fixtures `db`,
`clinic` and `account`; these are the few rows some of them need besides.
"""

from __future__ import annotations

import secrets

import pytest

from tests.support import future_slot


@pytest.fixture
def seeded(clinic):
    """A doctor, a patient and an appointment the roles can read, update and delete."""
    doctor, patient = clinic.doctor(), clinic.patient()
    appointment = clinic.appointment(doctor, patient, future_slot(days=120, hour=9))
    return {"doctor": doctor, "patient": patient, "appointment": appointment,
            "department": clinic.department()}


def _add_patient(db, first: str, last: str, phone: str, email: str | None = None) -> int:
    with db.cursor() as cur:
        cur.execute("INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, email, address, city) "
                    "VALUES (%s, %s, '1990-06-15', 'Male', %s, %s, '2 Oak Rd', 'Bergen')", (first, last, phone, email))
        return cur.lastrowid


@pytest.fixture
def family(db):
    """Five patients sharing a unique last-name prefix; returns (prefix, {name: id})."""
    prefix = "Qz" + secrets.token_hex(3)
    people = [("Jon", "Berg"), ("Ann", "Berg"), ("Joanna", "Berg"), ("Kim", "Bergman"), ("Lea", "Dahl")]
    ids = {}
    for i, (first, last) in enumerate(people):
        phone = f"+47-{prefix[2:]}-{i}"
        email = f"{prefix.lower()}.{first.lower()}@example.org"
        ids[(first, last)] = _add_patient(db, first, prefix + last, phone, email)
    return prefix, ids
