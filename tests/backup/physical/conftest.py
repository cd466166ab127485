"""Fixtures of the physical backup tests: a server of their own for the whole session (small,
stopped at the end), the database they back up, and a place for a restored server home."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from hms.connection import ConnectionInfo
from hms.server import EmbeddedServer
from tests.support import running_server
from tests.support.databases import make_database
from tests.support.physical import DATABASE, small_home


@pytest.fixture(scope="session")
def physical_server():
    """An embedded server of the physical tests' own, small, stopped at the end."""
    with running_server("physical", small_home) as server:
        yield server


@pytest.fixture(scope="session")
def physical_source(physical_server) -> ConnectionInfo:
    """The migrated, filled database the physical tests back up (administrative login)."""
    return make_database(physical_server.connection_info(), DATABASE, patients=3000)


@pytest.fixture
def new_home():
    """A path for a restored server home under /tmp (the server account must reach it), removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="hms-phys-home-"))
    os.chmod(parent, 0o755)
    home = parent / "home"
    yield home
    server = EmbeddedServer(home)
    if server.client_file.exists():
        server.stop()
    shutil.rmtree(parent, ignore_errors=True)
