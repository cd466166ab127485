"""A malformed database URL is one `Error:` line and exit 1, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url, expected", [
    ("mysql+pymysql://u:p@127.0.0.1:abc/hms", "Error: the database URL is malformed. Check the host and the port"),
    ("mysql+pymysql://u:p@[::1/hms", "Error: the database URL is malformed. Check the host and the port"),
    ("mysql+pymysql://u:p@127.0.0.1:99999/hms", "Error: the database URL's port 99999 is out of range"),
])
def test_a_malformed_url_is_one_error_line(url, expected, tmp_path):
    result = subprocess.run([sys.executable, "-c", "from cli import cli; cli()", "--url", url, "db", "status"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "HMS_HOME": str(tmp_path / "home")})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert ":p@" not in result.stderr  # the password stays out of the message
