"""`hms db verify` says which field of a routine or trigger differs, and compares
triggers' sql_mode too (objects loaded through a client with another sql_mode)."""

from __future__ import annotations

from hms.connection import connect
from hms.migrations import Migrator
from hms.migrations import files as sqlfiles
from hms.migrations import verify_database as verify
from hms.migrations.statements import split_statements


def reload_under_sql_mode(conn, relpath: str, sql_mode: str) -> None:
    """Run one sql/ file again the way a stock client with another sql_mode would."""
    path = sqlfiles.SQL_ROOT / relpath
    with conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = %s", (sql_mode,))
        for statement in split_statements(path.read_text(), relpath):
            cur.execute(statement.sql)


def test_verify_names_sql_mode_as_the_difference_of_routines_and_triggers(fresh_database):
    Migrator(fresh_database).migrate()
    conn = connect(fresh_database)
    try:
        reload_under_sql_mode(conn, "routines/calculate_age.sql", "STRICT_TRANS_TABLES")
        reload_under_sql_mode(conn, "triggers/trg_patient_dob_insert.sql", "STRICT_TRANS_TABLES")
    finally:
        conn.close()
    problems = verify(fresh_database)
    routine = [p for p in problems if p.startswith("routine function calculate_age:")]
    trigger = [p for p in problems if p.startswith("trigger trg_patient_dob_insert:")]
    assert len(routine) == 1 and len(trigger) == 1, problems
    for line in routine + trigger:
        assert "differs from sql/ in sql_mode (sql_mode: database 'STRICT_TRANS_TABLES', sql/ 'ONLY_FULL_GROUP_BY" in line
    # (re-creating the function by hand also dropped the roles' EXECUTE on it, as a client would)
    assert len([p for p in problems if not p.startswith("role ")]) == 2, problems


def test_a_changed_body_is_shown_where_it_parts(fresh_database):
    Migrator(fresh_database).migrate()
    conn = connect(fresh_database)
    try:
        text = (sqlfiles.SQL_ROOT / "triggers/trg_patient_dob_insert.sql").read_text()
        with conn.cursor() as cur:
            for statement in split_statements(text.replace("cannot be in the future", "is in the future"), "x"):
                cur.execute(statement.sql)
    finally:
        conn.close()
    (line,) = verify(fresh_database)
    assert line.startswith("trigger trg_patient_dob_insert: differs from sql/ in body (body from character ")
    assert "is in the future" in line and "cannot be in the future" in line
