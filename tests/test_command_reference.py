"""docs/commands.md is generated from the CLI: it must list every command as the code has it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_command_reference_matches_the_cli():
    checked = subprocess.run([sys.executable, str(ROOT / "scripts" / "command_reference.py"), "--check"],
                             capture_output=True, text=True, cwd=ROOT)
    assert checked.returncode == 0, checked.stderr


def test_the_command_reference_lists_a_command_added_beyond_the_contract():
    page = (ROOT / "docs" / "commands.md").read_text()
    assert "- `hms users expire [OPTIONS] NAME` *(beyond the contract)*" in page
    assert "- `hms backup verify [OPTIONS] PATH`  \n" in page   # a contract command, unmarked
