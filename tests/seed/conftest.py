"""Fixtures of the seed tests: freshly migrated databases, and two seeded ones (by one and
by two workers) that the tests of a module share."""

from __future__ import annotations

import secrets

import pytest

from hms.connection import connect
from hms.databases import console_schema
from hms.migrations import Migrator
from tests.support.seeding import seeded


@pytest.fixture(scope="module")
def make_database(server_info):
    """Factory: a freshly migrated database with a unique name; all dropped after the module."""
    made = []

    def make():
        info = server_info.with_database(f"hms_seed_{secrets.token_hex(4)}")
        made.append(info.database)
        Migrator(info).migrate()
        return info

    yield make
    conn = connect(server_info, database=None)
    with conn.cursor() as cur:
        for name in made:
            for each in (name, console_schema(name)):
                cur.execute(f"DROP DATABASE IF EXISTS `{each}`")
    conn.close()


@pytest.fixture(scope="module")
def seeded_two_workers(make_database):
    return seeded(make_database, 2)


@pytest.fixture(scope="module")
def seeded_one_worker(make_database):
    return seeded(make_database, 1)
