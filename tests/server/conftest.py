"""Fixtures of the embedded-server tests: an HMS_HOME of their own, separate from the
session's server, whose server is stopped after the module."""

from __future__ import annotations

import pytest

from hms.server import EmbeddedServer
from tests.support import embedded_home


@pytest.fixture(scope="module")
def home():
    """An HMS_HOME for `hms server ...` where the server's own account can reach it; its server
    is stopped and the home removed when the module ends."""
    with embedded_home("embedded") as path:
        yield path
        EmbeddedServer(path).stop()
