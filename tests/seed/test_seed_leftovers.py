"""kill -9 of `hms seed` strands chunk files and the loader account; the next run
(here `--resume`) reclaims both before it measures the disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hms.connection import connect
from hms.migrations import Migrator
from hms.migrations import verify_database as verify
from seed import bulk_load
from seed.run import parse_options, run
from tests.support import query

ROOT = Path(__file__).resolve().parents[2]
STALLED_SEED = """
import sys, time
from hms.connection import info_from_url
from seed.run import parse_options, run

def stall(chunk):
    print("loaded", chunk.table, flush=True)
    time.sleep(600)

run(info_from_url(sys.argv[1]), parse_options("0.0005", "7", "1", as_of_text="2025-06-02"), quiet=True,
    on_chunk=stall)
"""


def test_a_killed_seeds_chunk_files_and_loader_are_reclaimed_by_resume(fresh_database, tmp_path):
    info = fresh_database
    Migrator(info).migrate()
    seeder = subprocess.Popen([sys.executable, "-c", STALLED_SEED, info.url(hide_password=False)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, start_new_session=True,
                              env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        assert seeder.stdout.readline().startswith("loaded"), "the seed never loaded a chunk"
    finally:
        os.killpg(seeder.pid, signal.SIGKILL)  # the seed and its pool workers, as kill -9 would
        seeder.wait(timeout=30)
        seeder.stdout.close()
    stranded = [p for p in tmp_path.glob("hms-seed-*") if p.is_dir()]
    assert stranded and any(any(p.iterdir()) for p in stranded)
    admin = connect(info)
    try:
        assert query(admin, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (bulk_load.LOADER_USER,)) == [(1,)]
        run(info, parse_options("0.0005", "7", "1", resume=True), quiet=True, spool_parent=tmp_path)
        assert [p for p in tmp_path.glob("hms-seed-*")] == []
        assert query(admin, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (bulk_load.LOADER_USER,)) == [(0,)]
    finally:
        admin.close()
    assert verify(info) == []
