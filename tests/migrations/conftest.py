"""Fixtures of the migration tests (most use the root fixture `fresh_database`)."""

from __future__ import annotations

import shutil

import pytest

from hms.migrations import SQL_ROOT


@pytest.fixture
def sql_copy(tmp_path):
    """A private copy of sql/ that a test may edit."""
    root = tmp_path / "sql"
    shutil.copytree(SQL_ROOT, root)
    return root
