"""`hms seed` refuses numeric options beyond what the machine can do, and checks free
memory before anything starts: one `Error:` line, exit 1."""

from __future__ import annotations

import os
import tempfile

import pytest
from click.testing import CliRunner

from cli import cli
from hms.errors import ConfigError
from seed import run as seed_run
from seed.run import parse_options

MAX_SCALE = 10.0     # 320 million rows
WORKERS_PER_CORE = 4


def seed(info, *args):
    return CliRunner().invoke(cli, ["--url", info.url(hide_password=False), "seed", *args])


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.output.strip().count("\n") == 0 and "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    return result.output


@pytest.mark.parametrize("scale", ["1e9", "10.5", "1000"])
def test_a_scale_beyond_the_bound_is_refused_with_the_reason(fresh_database, scale):
    output = one_error_line(seed(fresh_database, "--scale", scale))
    assert f"--scale must be at most {MAX_SCALE:g}, not '{scale}'" in output
    assert "million rows" in output


def test_the_largest_scale_is_accepted():
    assert parse_options(str(MAX_SCALE)).scale == MAX_SCALE


def test_more_workers_than_a_few_per_core_are_refused(fresh_database):
    cores = os.cpu_count() or 1
    output = one_error_line(seed(fresh_database, "--workers", "999"))
    assert f"--workers must be at most {cores * WORKERS_PER_CORE}" in output and f"{cores}" in output
    assert parse_options(workers_text=str(cores * WORKERS_PER_CORE)).workers == cores * WORKERS_PER_CORE


def test_too_little_free_memory_is_refused_before_anything_starts(fresh_database, monkeypatch):
    monkeypatch.setattr(seed_run, "available_memory", lambda: 300 << 20)
    spools_before = set(os.listdir(tempfile.gettempdir()))
    output = one_error_line(seed(fresh_database, "--scale", "0.001", "--workers", "2"))
    assert "only 300 MiB of memory is free; 2 worker(s) need about 768 MiB" in output
    new = {name for name in set(os.listdir(tempfile.gettempdir())) - spools_before if name.startswith("hms-seed-")}
    assert new == set()


def test_the_memory_check_names_how_many_workers_fit(monkeypatch):
    monkeypatch.setattr(seed_run, "available_memory", lambda: 1 << 30)
    with pytest.raises(ConfigError, match="Use --workers 3 or fewer"):
        seed_run.check_memory(8)
    seed_run.check_memory(3)
