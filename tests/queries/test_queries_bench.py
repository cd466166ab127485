"""The benchmark scripts refuse, in one line, a database that does not hold the scale asked for."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import ROOT


def bench(script: str, info, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HMS_DATABASE_URL=info.url(hide_password=False))
    env.pop("HMS_DATABASE", None)
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args, "--database", info.database],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("script", ["queries.py", "oltp.py"])
def test_large_scale_on_an_empty_database_says_run_seed_first(script, fresh_database):
    done = bench(script, fresh_database, "--scale", "0.5")
    assert done.returncode == 1
    assert done.stderr == (f"Error: database '{fresh_database.database}' holds no dataset at scale 0.5. "
                           f"Run `hms --database {fresh_database.database} seed --scale 0.5` first.\n")


@pytest.mark.parametrize("script", ["queries.py", "oltp.py"])
def test_database_holding_another_scale_is_refused(script, clinic_db):
    done = bench(script, clinic_db, "--scale", "0.01")
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: database '{clinic_db.database}' holds another dataset (8 patients")
    assert done.stderr.count("\n") == 1
