"""The console audit log is hash-chained: `hms audit verify` (and the console's button) names
the first entry that was edited, deleted or inserted out of order, even by a DBA."""

from __future__ import annotations

import json

import pymysql
import pytest

from hms import audit_log
from hms.connection import connect
from hms.migrations import SQL_ROOT, split_statements
from tests.support import query

CONSOLE = "hms_test_console"


def run_file(conn, path, schema: str) -> None:
    """Run one sql/ file's statements in `schema`, as migrate would."""
    with conn.cursor() as cur:
        cur.execute(f"USE `{schema}`")
        for statement in split_statements(path.read_text(), path.name):
            cur.execute(statement.sql)


def chained_copy(db, scratch_schema, entries: int = 6) -> str:
    """Append `entries` entries to the real log, then copy the log and its head into a
    scratch schema with no triggers (a DBA's free hand); return the copy's database name."""
    for n in range(entries):
        audit_log.record(db, CONSOLE, actor="pytest-chain", action=f"step-{n}", target="ü€😀" if n == 2 else None,
                         outcome="success", detail=f"entry {n}", source="tests")
    database = scratch_schema()
    copy = f"{database}_console"
    with db.cursor() as cur:
        for table in ("audit_log", "audit_chain_head"):
            cur.execute(f"CREATE TABLE `{copy}`.{table} LIKE {CONSOLE}.{table}")
            cur.execute(f"INSERT INTO `{copy}`.{table} SELECT * FROM {CONSOLE}.{table}")
    return database


def ids(db, copy: str) -> list[int]:
    return [row[0] for row in query(db, f"SELECT audit_id FROM `{copy}_console`.audit_log ORDER BY audit_id")]


def test_entries_written_by_every_writer_form_an_intact_chain(db, run):
    audit_log.record(db, CONSOLE, actor="pytest-chain", action="x", target=None, outcome="failure",
                     detail="Zoë | 3:abc", source=None)
    report = audit_log.verify(db, CONSOLE)
    assert report.intact, report.reason
    assert report.checked == query(db, f"SELECT COUNT(*) FROM {CONSOLE}.audit_log")[0][0]
    last_id, last_hash = query(db, f"SELECT audit_id, row_hash FROM {CONSOLE}.audit_log "
                                   "ORDER BY audit_id DESC LIMIT 1")[0]
    assert (report.head_id, report.head_hash) == (last_id, last_hash)
    result = run("audit", "verify", "--json", database="hms_test")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["intact"] is True


def test_the_server_refuses_to_update_or_delete_an_entry(db):
    newest = query(db, f"SELECT MAX(audit_id) FROM {CONSOLE}.audit_log")[0][0]
    for statement in (f"UPDATE {CONSOLE}.audit_log SET detail = 'forged' WHERE audit_id = %s",
                      f"DELETE FROM {CONSOLE}.audit_log WHERE audit_id = %s"):
        with pytest.raises(pymysql.err.OperationalError, match="cannot be"):
            query(db, statement, (newest,))


def test_an_insert_naming_its_own_id_and_hash_is_chained_anyway(db):
    newest = query(db, f"SELECT MAX(audit_id) FROM {CONSOLE}.audit_log")[0][0]
    query(db, f"INSERT INTO {CONSOLE}.audit_log (audit_id, actor, action, outcome, prev_hash, row_hash) "
              "VALUES (%s, 'pytest-chain', 'forged', 'success', %s, %s)", (newest + 50, "f" * 64, "f" * 64))
    row = query(db, f"SELECT audit_id, row_hash FROM {CONSOLE}.audit_log WHERE action = 'forged' "
                    "ORDER BY audit_id DESC LIMIT 1")[0]
    assert row[0] == newest + 1 and row[1] != "f" * 64
    assert audit_log.verify(db, CONSOLE).intact


def test_an_edited_entry_breaks_the_chain_at_that_entry(db, scratch_schema, run):
    database = chained_copy(db, scratch_schema)
    target = ids(db, database)[-3]
    query(db, f"UPDATE `{database}_console`.audit_log SET detail = 'nothing happened' WHERE audit_id = %s", (target,))
    result = run("audit", "verify", database=database)
    assert result.exit_code == 1
    assert result.output.startswith(f"broken at entry {target}: entry {target} was changed"), result.output


def test_an_edit_with_a_recomputed_hash_breaks_the_chain_at_the_next_entry(db, scratch_schema):
    database = chained_copy(db, scratch_schema)
    copy = f"{database}_console"
    target, following = ids(db, database)[-3:-1]
    row = query(db, f"SELECT prev_hash, audit_id, occurred_at, actor, action, target, outcome, source "
                    f"FROM `{copy}`.audit_log WHERE audit_id = %s", (target,))[0]
    prev, audit_id, at, actor, action, tgt, outcome, source = row
    forged = audit_log.entry_hash(prev, audit_id, at, actor, action, tgt, outcome, "nothing happened", source)
    query(db, f"UPDATE `{copy}`.audit_log SET detail = 'nothing happened', row_hash = %s WHERE audit_id = %s",
          (forged, target))
    report = audit_log.verify(db, copy)
    assert report.broken_at == following and "does not follow" in report.reason


def test_a_deleted_entry_breaks_the_chain_at_the_entry_after_it(db, scratch_schema, run):
    database = chained_copy(db, scratch_schema)
    target, following = ids(db, database)[-4:-2]
    query(db, f"DELETE FROM `{database}_console`.audit_log WHERE audit_id = %s", (target,))
    result = run("audit", "verify", "--json", database=database)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["broken_at"] == following and f"does not follow entry {target - 1}" in report["reason"]


def test_deleting_the_newest_entries_is_noticed_through_the_head(db, scratch_schema):
    database = chained_copy(db, scratch_schema)
    newest = ids(db, database)[-2:]
    query(db, f"DELETE FROM `{database}_console`.audit_log WHERE audit_id IN (%s, %s)", tuple(newest))
    report = audit_log.verify(db, f"{database}_console")
    assert report.broken_at == newest[-1]
    assert f"ends at entry {newest[0] - 1}" in report.reason


def test_an_entry_inserted_out_of_order_breaks_the_chain_at_that_entry(db, scratch_schema):
    database = chained_copy(db, scratch_schema)
    copy = f"{database}_console"
    before, target = ids(db, database)[-3:-1]
    # Make room after `before` and slip an entry in, copying the next entry's prev_hash.
    query(db, f"UPDATE `{copy}`.audit_log SET audit_id = audit_id + 1 WHERE audit_id > %s ORDER BY audit_id DESC",
          (before,))
    prev = query(db, f"SELECT row_hash FROM `{copy}`.audit_log WHERE audit_id = %s", (before,))[0][0]
    at = query(db, f"SELECT occurred_at FROM `{copy}`.audit_log WHERE audit_id = %s", (before,))[0][0]
    forged = audit_log.entry_hash(prev, target, at, "admin", "drop", "x@%", "success", None, None)
    query(db, f"INSERT INTO `{copy}`.audit_log (audit_id, occurred_at, actor, action, target, outcome, "
              "prev_hash, row_hash) VALUES (%s, %s, 'admin', 'drop', 'x@%%', 'success', %s, %s)",
          (target, at, prev, forged))
    report = audit_log.verify(db, copy)
    # The slipped-in entry is well formed; the one it pushed along no longer follows it.
    assert report.broken_at == target + 1 and f"does not follow entry {target}" in report.reason


def test_entries_written_before_the_chain_existed_are_chained_by_the_migration(server_info, scratch_schema):
    database = scratch_schema()
    schema = f"{database}_console"
    conn = connect(server_info, database=None)
    try:
        run_file(conn, SQL_ROOT / "console" / "schema" / "V002__audit_log.sql", schema)
        with conn.cursor() as cur:
            for n in range(5):
                cur.execute("INSERT INTO audit_log (actor, action, target, outcome, detail) "
                            "VALUES ('old', %s, %s, 'success', NULL)", (f"a{n}", "Ω" * n or None))
            cur.execute("DELETE FROM audit_log WHERE action = 'a2'")  # a gap before the chain existed
        for name in ("V007__audit_log_chain.sql", "V008__audit_chain_head.sql"):
            run_file(conn, SQL_ROOT / "console" / "schema" / name, schema)
        report = audit_log.verify(conn, schema)
        assert report.intact and report.checked == 4, report.reason
        run_file(conn, SQL_ROOT / "console" / "triggers" / "trg_audit_log_chain.sql", schema)
        audit_log.record(conn, schema, actor="new", action="after", target=None, outcome="success")
        assert audit_log.verify(conn, schema).checked == 5
    finally:
        conn.close()


def test_the_auditor_role_can_verify_the_chain(account, run, migrated):
    auditor = account("hms_auditor")
    result = run("audit", "verify", url=auditor.url(hide_password=False), database="hms_test")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("intact: ")
