"""A physical backup is used only when every file of its chain matches its signed manifest:
a flipped byte, a truncated or missing file, an added file, an edited manifest or a missing
parent is refused with one line, before anything is prepared, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from hms.backup import BackupError
from hms.backup.manifest import PHYSICAL_DATA, PHYSICAL_MANIFEST
from hms.backup.physical import create_physical_backup
from hms.backup.physical_restore import restore_physical_into, verify_physical
from tests.support.databases import database_exists
from tests.support.physical import (
    add_patients,
    data_file,
    needs_mariadb_backup,
    scratch_leftovers,
)

pytestmark = needs_mariadb_backup


@pytest.fixture(scope="module")
def chain(physical_source, tmp_path_factory):
    """A full backup and one incremental, made once; each test damages its own copy."""
    directory = tmp_path_factory.mktemp("physical-chain")
    key = directory / "backup.key"
    full = create_physical_backup(physical_source, directory / "backups", key_file=key)
    add_patients(physical_source, "trust-inc")
    inc = create_physical_backup(physical_source, directory / "backups", incremental=True, key_file=key)
    return directory, key, full, inc


@pytest.fixture
def copy(chain, tmp_path):
    """This test's own copy of the chain: (backup dir, key, full path, incremental path)."""
    directory, key, full, inc = chain
    shutil.copytree(directory / "backups", tmp_path / "backups")
    return tmp_path / "backups", key, tmp_path / "backups" / full.name, tmp_path / "backups" / inc.name


def flip_byte(path, offset: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0x01]))


def refused(path, key, match: str, physical_server) -> None:
    """Both verify and restore refuse `path` with `match`, and leave no scratch server or database."""
    with pytest.raises(BackupError, match=match) as raised:
        verify_physical(None, path, key_file=key)
    assert "\n" not in raised.value.message
    target = f"hms_phys_refused_{os.getpid()}"
    with pytest.raises(BackupError, match=match):
        restore_physical_into(physical_server.connection_info(), path, target, key_file=key)
    assert not database_exists(physical_server.connection_info(), target)
    assert scratch_leftovers() == []


def test_a_flipped_byte_in_a_data_file_is_refused_before_any_prepare(copy, physical_server):
    backups, key, full, inc = copy
    flip_byte(data_file(full, "patient"), 20000)
    refused(inc, key, r"cannot be trusted: hms_phys/patient\.\w+ does not match its manifest's sha256", physical_server)
    refused(full, key, "nothing was prepared from it", physical_server)


def test_a_flipped_byte_in_an_incremental_is_refused(copy, physical_server):
    backups, key, full, inc = copy
    delta = next(p for p in (inc / PHYSICAL_DATA).rglob("*.delta"))
    flip_byte(delta, os.path.getsize(delta) // 2)
    refused(inc, key, rf"{inc.name} cannot be trusted: .*\.delta does not match", physical_server)
    assert verify_physical(None, full, key_file=key).ok  # its parent alone is still sound


def test_a_truncated_file_is_refused(copy, physical_server):
    backups, key, full, inc = copy
    ibd = data_file(full, "appointment")
    size = os.path.getsize(ibd)
    os.truncate(ibd, size // 2)
    refused(full, key, rf"appointment\.\w+ is {size // 2} bytes, its manifest says {size} \(truncated", physical_server)


def test_a_missing_file_is_refused(copy, physical_server):
    backups, key, full, inc = copy
    os.unlink(data_file(full, "billing"))
    refused(full, key, r"billing\.\w+ is missing", physical_server)


def test_a_file_added_to_a_backup_is_refused(copy, physical_server):
    backups, key, full, inc = copy
    (inc / PHYSICAL_DATA / "hms_phys" / "extra.ibd").write_bytes(b"\0" * 16384)
    refused(inc, key, r"extra\.ibd is not in its manifest", physical_server)


def test_an_edited_manifest_is_unsigned_and_refused(copy, physical_server):
    backups, key, full, inc = copy
    mpath = full / PHYSICAL_MANIFEST
    data = json.loads(mpath.read_text())
    data["tables"]["patient"] += 1
    mpath.write_text(json.dumps(data))
    refused(full, key, "is unsigned", physical_server)
    refused(inc, key, f"{full.name} is unsigned", physical_server)  # its incremental needs it


def test_an_incremental_whose_parent_is_gone_is_refused(copy, physical_server):
    backups, key, full, inc = copy
    shutil.rmtree(full)
    refused(inc, key, f"on top of {full.name}, which is missing", physical_server)
