"""Fixtures of the embedded-server tests: an HMS_HOME of their own, separate from the
session's server, whose server is stopped after the module."""

from __future__ import annotations

import pytest

from hms.server import EmbeddedServer


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """An HMS_HOME for `hms server ...`; its server is stopped when the module ends."""
    path = tmp_path_factory.mktemp("embedded")
    yield path
    EmbeddedServer(path).stop()
