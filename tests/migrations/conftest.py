"""Fixtures of the migration tests (most use the root fixture `fresh_database`)."""

from __future__ import annotations

import shutil

import pytest

from hms.migrations import SQL_ROOT
from hms.migrations import files as sql_files


@pytest.fixture
def sql_copy(tmp_path):
    """A private copy of sql/ that a test may edit."""
    root = tmp_path / "sql"
    shutil.copytree(SQL_ROOT, root)
    return root


@pytest.fixture
def patched_sql_copy(sql_copy, monkeypatch):
    """`sql_copy`, also made the sql/ the runner and the CLI read (hms.migrations.files.SQL_ROOT)."""
    monkeypatch.setattr(sql_files, "SQL_ROOT", sql_copy)
    return sql_copy
