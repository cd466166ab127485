"""`hms backup prune` and the binary log archive (issue 12, part 7): a dry run by default that
says why, --yes deletes exactly that, and what recovery needs always stays: the newest
verified backup, the full backup under a kept incremental, the archived binary logs from
the oldest kept backup on. On a server of this module's own (its binary log is purged)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hms.backup import archive as archives
from hms.backup import create_backup, signing
from hms.backup.manifest import Backup, Manifest, manifest_path
from hms.backup.prune import decide
from hms.backup.restore_account import account_name
from tests.support import unique_numbers
from tests.support.databases import drop_database, make_database
from tests.support.pitr import binlog_server, database_exists, execute, gtid_position, purge_binary_logs, run_hms

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    with binlog_server("prune") as running:
        yield running


@pytest.fixture(scope="module")
def source(server):
    return make_database(server.info, "hms_prune_src", patients=200)


def created_days_ago(server, path: Path, days: float) -> None:
    """Make backup `path` look `days` old: its manifest's created_at, re-signed with the key."""
    mpath = manifest_path(path)
    data = json.loads(mpath.read_text())
    data["created_at"] = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")
    mpath.write_text(json.dumps(signing.sign(data, signing.load_key(server.key_file))))


def cli_backups(server, source, directory: Path, ages: list[float]) -> list[Path]:
    """One `hms backup create` per age (each archives and rotates the binary log), oldest first."""
    made = []
    for days in ages:
        execute(source, f"INSERT INTO department (name, location) VALUES ('Prune {next(unique_numbers)}', 'x')")
        result = run_hms(server, directory, source.database, "backup", "create")
        assert result.exit_code == 0, result.output
        made.append(Path(result.stdout.strip()))
    for path, days in zip(made, ages):
        created_days_ago(server, path, days)
    return made


def start_file(path: Path) -> str:
    return json.loads(manifest_path(path).read_text())["binlog"]["file"]


def lines_about(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if f"  {name}  " in line]


def test_prune_dry_run_then_yes_keeps_what_recovery_needs(server, source, tmp_path):
    old20, old10, recent3, newest = cli_backups(server, source, tmp_path, [20, 10, 3, 0])
    archived = sorted(p.name for p in (tmp_path / "binlogs").iterdir() if p.name.startswith("hms-bin."))
    keep_from = start_file(recent3)
    assert start_file(old20) < keep_from and start_file(old20) in archived

    dry = run_hms(server, tmp_path, source.database, "backup", "prune", "--keep-last", "1", "--keep-days", "7")

    assert dry.exit_code == 0, dry.output
    assert "would delete" in lines_about(dry.stdout, old20.name)[0] and "20 days old" in dry.stdout
    assert "not among the newest 1" in lines_about(dry.stdout, old10.name)[0]
    assert lines_about(dry.stdout, recent3.name)[0].startswith("keep") and "younger than 7 days" in dry.stdout
    assert "the newest verified backup" in lines_about(dry.stdout, newest.name)[0]
    for name in archived:
        line = lines_about(dry.stdout, f"binlogs/{name}")[0]
        assert line.startswith("would delete" if name < keep_from else "keep"), line
    assert f"where the roll-forward of {recent3.name} starts" in lines_about(dry.stdout, f"binlogs/{keep_from}")[0]
    assert "dry run: nothing deleted" in dry.stdout
    assert all(p.exists() for p in (old20, old10, recent3, newest))
    assert sorted(p.name for p in (tmp_path / "binlogs").iterdir() if p.name.startswith("hms-bin.")) == archived

    done = run_hms(server, tmp_path, source.database, "backup", "prune", "--keep-last", "1", "--keep-days", "7",
                   "--yes")

    assert done.exit_code == 0, done.output
    assert not old20.exists() and not manifest_path(old20).exists() and not old10.exists()
    assert recent3.exists() and newest.exists()
    left = archives.load(tmp_path, server.key_file)
    assert sorted(left.files) == [name for name in archived if name >= keep_from]
    assert sorted(p.name for p in (tmp_path / "binlogs").iterdir() if p.name.startswith("hms-bin.")) == sorted(left.files)

    # What was kept is enough: with the server's binary log purged, the oldest kept backup
    # still rolls forward, from the archive alone.
    execute(source, "INSERT INTO department (name, location) VALUES ('After prune', 'x')")
    target = f"hms_prune_{next(unique_numbers)}"
    until = gtid_position(server.info)
    assert run_hms(server, tmp_path, source.database, "backup", "archive-binlogs").exit_code == 0
    purge_binary_logs(server.info)
    try:
        restored = run_hms(server, tmp_path, source.database, "backup", "restore", str(recent3), "--into", target,
                           "--until-gtid", until)
        assert restored.exit_code == 0, restored.output
        assert database_exists(server.info, target)
    finally:
        drop_database(server.info, target)
        execute(server.info, f"DROP USER IF EXISTS '{account_name(target)}'@'localhost'")


def test_prune_never_deletes_the_newest_verified_backup(server, source, tmp_path):
    oldest, verified, damaged = cli_backups(server, source, tmp_path, [3, 2, 1])
    with open(damaged, "ab") as handle:
        handle.write(b"\0")   # its checksum no longer matches: not verified

    done = run_hms(server, tmp_path, source.database, "backup", "prune", "--keep-last", "0", "--keep-days", "0",
                   "--yes")

    assert done.exit_code == 0, done.output
    assert "the newest verified backup" in lines_about(done.stdout, verified.name)[0]
    assert verified.exists() and not oldest.exists() and not damaged.exists()


def test_prune_warns_when_backups_outlive_the_servers_binary_log_unless_archived(server, source, tmp_path):
    create_backup(source, tmp_path, key_file=server.key_file)   # the library call archives nothing
    warned = run_hms(server, tmp_path, source.database, "backup", "prune", "--keep-days", "30")
    assert warned.exit_code == 0
    assert "longer than the server keeps its binary log (7 days)" in warned.stderr
    short = run_hms(server, tmp_path, source.database, "backup", "prune", "--keep-days", "5")
    assert "warning" not in short.stderr
    assert run_hms(server, tmp_path, source.database, "backup", "archive-binlogs").exit_code == 0
    archived = run_hms(server, tmp_path, source.database, "backup", "prune", "--keep-days", "30")
    assert "warning" not in archived.stderr


def test_prune_needs_a_rule_and_leaves_unsigned_backups_alone(server, source, tmp_path):
    made = create_backup(source, tmp_path, key_file=server.key_file)
    mpath = manifest_path(made.path)
    data = json.loads(mpath.read_text())
    del data["mac"]
    mpath.write_text(json.dumps(data))

    bare = run_hms(server, tmp_path, source.database, "backup", "prune")
    assert bare.exit_code == 1 and "no retention rule" in bare.stderr
    assert len(bare.stderr.strip().splitlines()) == 1

    done = run_hms(server, tmp_path, source.database, "backup", "prune", "--keep-last", "0", "--yes")
    assert done.exit_code == 0
    assert lines_about(done.stdout, made.name)[0].startswith("untouched")
    assert made.path.exists()


# -- incremental chains (the decision alone: physical backups are built elsewhere) ---------

def _backup(directory: Path, name: str, days: float, parent: str | None = None) -> Backup:
    created = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")
    manifest = Manifest(database="hms", created_at=created, bytes=1, sha256="0" * 64, server_version="10.11",
                        dump_tool="mariadb-backup", tables={})
    manifest.kind = "physical"      # the fields physical backups add to the manifest
    manifest.parent = parent
    return Backup(path=directory / name, manifest=manifest, intact=True, signed=True)


def test_prune_keeps_the_whole_chain_under_a_kept_incremental(tmp_path):
    newest_first = [_backup(tmp_path, "hms_inc2", 1, parent="hms_inc1"),
                    _backup(tmp_path, "hms_inc1", 20, parent="hms_full"),
                    _backup(tmp_path, "hms_full", 30),
                    _backup(tmp_path, "hms_old_full", 40),
                    _backup(tmp_path, "hms_orphan_inc", 50, parent="hms_gone")]
    plan = decide(newest_first, archives.Archive(directory=tmp_path, key=None), keep_last=1, keep_days=None,
                  now=datetime.now(timezone.utc))
    kept = {d.name: d.reasons for d in plan.backups if d.keep}
    assert set(kept) == {"hms_inc2", "hms_inc1", "hms_full"}
    assert "the base of incremental hms_inc2" in kept["hms_full"]
    assert {d.name for d in plan.backups if not d.keep} == {"hms_old_full", "hms_orphan_inc"}
