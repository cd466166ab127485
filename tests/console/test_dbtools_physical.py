"""The console's DB Tools page with physical backups (issue 12, part 8), against real servers: the
"Physical backup" button (full, then incremental once a physical backup exists) as an audited
background job; the list shows each backup's kind, chain and size; Verify and Restore… run
verify_physical and restore_physical_into; a point-in-time restore starts from a physical backup.

mariadb-backup copies a whole server, so the backups are taken of a small server of this
module's own, holding a database named like the session's (hms_test): the console's admins and
audit log stay in the session server's console schema, as in every console test."""

from __future__ import annotations

import re
import secrets
import time

import pytest

from console import create_app
from hms.backup import list_backups
from hms.backup.physical import create_physical_backup
from hms.backup.restore_account import account_name
from hms.connection import connect
from tests.support import query, running_server
from tests.support.backups import finished_job
from tests.support.console_client import Auth, audit_rows
from tests.support.databases import database_exists, describe, drop_database, make_database
from tests.support.physical import add_patients, needs_mariadb_backup, patients_named, small_home
from tests.support.pitr import execute, next_second

pytestmark = [needs_mariadb_backup, pytest.mark.slow]


@pytest.fixture(scope="module")
def own_server():
    """A small embedded server of this module's own, stopped at the end."""
    with running_server("console-physical", small_home) as server:
        yield server.connection_info()


@pytest.fixture(scope="module")
def source(own_server, migrated):
    """The database the console backs up there, named like the session's (its console schema)."""
    return make_database(own_server, migrated.database, patients=2000)


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    return tmp_path_factory.mktemp("console-physical-key") / "backup.key"


@pytest.fixture(scope="module")
def chain(source, key_file, tmp_path_factory):
    """A full physical backup, rows tagged 'inc' added, then an incremental on top: (directory, full, incremental)."""
    directory = tmp_path_factory.mktemp("console-physical-chain")
    full = create_physical_backup(source, directory, key_file=key_file)
    add_patients(source, "console-inc", count=4)
    incremental = create_physical_backup(source, directory, incremental=True, key_file=key_file)
    return directory, full, incremental


def make_app(service_login, migrated, backup_dir, backup_login, key_file):
    return create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service_login,
                       "HMS_DATABASE": migrated.database, "HMS_BACKUP_DIR": backup_dir,
                       "HMS_BACKUP_LOGIN": backup_login, "HMS_BACKUP_KEY_FILE": key_file})


def logged_in(app, console_admin) -> Auth:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.%d.%d.%d" % tuple(secrets.randbelow(250) + 1 for _ in range(3))
    auth = Auth(client, console_admin)
    auth.login()
    return auth


@pytest.fixture
def target(own_server):
    """A database name to restore into on the module's server; it and its restore account dropped afterwards."""
    name = f"hms_cphys_{secrets.token_hex(4)}"
    yield name
    drop_database(own_server, name)
    execute(own_server, f"DROP USER IF EXISTS '{account_name(name)}'@'localhost'",
            f"DROP USER IF EXISTS '{account_name(name)}'@'%'")


def row_of(page: str, name: str) -> str:
    match = re.search(rf'<tr data-backup="{re.escape(name)}">(.*?)</tr>', page, re.S)
    assert match, f"{name} is not listed"
    return match.group(1)


def test_physical_backup_button_makes_a_full_then_an_incremental_backup(service_login, migrated, source, key_file,
                                                                        console_admin, db, tmp_path):
    app = make_app(service_login, migrated, tmp_path, source, key_file)
    auth = logged_in(app, console_admin)
    page = auth.client.get("/db-tools/").get_data(as_text=True)
    assert "Physical backup</button>" in page and 'name="incremental"' not in page  # nothing to build on yet

    assert auth.post("/db-tools/backup-physical", {}, "/db-tools/").status_code == 302
    job = finished_job(app, timeout=600)
    assert job.state == "success", job.message
    full = job.target
    assert full.endswith(".physical") and "full physical backup" in job.message

    page = auth.client.get("/db-tools/").get_data(as_text=True)
    row = row_of(page, full)
    assert '<td class="kind">physical full</td>' in row and "matches" in row and " MiB" in row
    assert "Download" not in row and "Restore…" in row and "To a moment…" in row
    assert 'name="incremental"' in page  # a full physical backup exists: incremental is offered

    add_patients(source, "console-button", count=2)
    assert auth.post("/db-tools/backup-physical", {"incremental": "y"}, "/db-tools/").status_code == 302
    job = finished_job(app, timeout=600)
    assert job.state == "success", job.message
    incremental = job.target
    assert f"incremental physical backup of {migrated.database} on {full}" in job.message
    row = row_of(auth.client.get("/db-tools/").get_data(as_text=True), incremental)
    assert f'<td class="kind">physical incremental on {full}</td>' in row
    by_name = {b.name: b for b in list_backups(tmp_path, key_file=key_file)}
    assert by_name[incremental].manifest.parent == full and by_name[full].manifest.chain["type"] == "full"
    audited = [row[:3] for row in audit_rows(db, auth.name)]
    assert ("backup physical create", full, "success") in audited
    assert ("backup physical create", incremental, "success") in audited


def test_physical_backup_without_a_csrf_token_is_refused(service_login, migrated, source, key_file, console_admin,
                                                         tmp_path):
    app = make_app(service_login, migrated, tmp_path, source, key_file)
    auth = logged_in(app, console_admin)
    assert auth.client.post("/db-tools/backup-physical", data={}).status_code == 400
    assert list(tmp_path.iterdir()) == []


def test_verify_runs_verify_physical_on_an_incremental_chain(service_login, migrated, chain, source, key_file,
                                                            console_admin, db):
    directory, _, incremental = chain
    app = make_app(service_login, migrated, directory, source, key_file)
    auth = logged_in(app, console_admin)
    assert auth.post("/db-tools/verify", {"name": incremental.name}, "/db-tools/").status_code == 302
    job = finished_job(app, timeout=600)
    assert job.state == "success" and "restores to data identical to its manifest" in job.message, \
        (job.message, job.problems)
    assert ("backup verify", incremental.name, "success") in [row[:3] for row in audit_rows(db, auth.name)]


def test_restore_of_a_physical_chain_makes_the_new_database(service_login, migrated, chain, source, key_file,
                                                           console_admin, db, own_server, target):
    directory, _, incremental = chain
    app = make_app(service_login, migrated, directory, source, key_file)
    auth = logged_in(app, console_admin)
    page = auth.client.get(f"/db-tools/restore?name={incremental.name}").get_data(as_text=True)
    assert "This is a physical backup" in page
    response = auth.post("/db-tools/restore", {"name": incremental.name, "into": target, "confirm": target},
                         f"/db-tools/restore?name={incremental.name}")
    assert response.status_code == 302
    job = finished_job(app, timeout=600)
    assert job.state == "success", job.message
    assert describe(own_server, target)["tables"] == incremental.manifest.tables
    assert patients_named(own_server, target, "console-inc") == 4  # the incremental's rows came too
    assert ("backup restore", f"{incremental.name} -> {target}", "success") in [
        row[:3] for row in audit_rows(db, auth.name)]


def test_download_of_a_physical_backup_is_refused(service_login, migrated, chain, source, key_file, console_admin,
                                                  db):
    directory, full, _ = chain
    app = make_app(service_login, migrated, directory, source, key_file)
    auth = logged_in(app, console_admin)
    response = auth.client.get(f"/db-tools/download/{full.name}")
    assert response.status_code == 409 and b"is a directory" in response.data
    assert ("backup download", full.name, "refused") in [row[:3] for row in audit_rows(db, auth.name)]


def test_point_in_time_restore_from_a_physical_backup(service_login, migrated, chain, source, key_file,
                                                      console_admin, own_server, target):
    directory, full, _ = chain
    tag_a, tag_b = f"cphys-a-{secrets.token_hex(3)}", f"cphys-b-{secrets.token_hex(3)}"
    add_patients(source, tag_a, count=3)
    moment = next_second(source)
    time.sleep(0.2)
    execute(source, f"DELETE FROM patient WHERE first_name = '{tag_a}'")
    add_patients(source, tag_b, count=2)
    app = make_app(service_login, migrated, directory, source, key_file)
    auth = logged_in(app, console_admin)
    response = auth.post("/db-tools/restore-until", {"name": full.name, "into": target, "confirm": target,
                                                     "until": moment.replace(" ", "T"), "until_gtid": ""},
                         "/db-tools/restore-until")
    assert response.status_code == 302
    job = finished_job(app, timeout=600)
    assert job.state == "success", job.message
    assert patients_named(own_server, target, tag_a) == 3 and patients_named(own_server, target, tag_b) == 0
    assert patients_named(own_server, target, "console-inc") == 4  # rolled forward past the incremental too
    live = connect(source)
    try:
        count = query(live, "SELECT COUNT(*) FROM patient")[0][0]
    finally:
        live.close()
    assert describe(own_server, target)["tables"]["patient"] == count + 3 - 2
    assert database_exists(own_server, source.database)
