"""The Data Analyst role can run every analyst query and read path, and cannot write."""

from __future__ import annotations

import pymysql
import pytest

from hms import errcodes
from hms.connection import connect
from hms.queries import list_queries, stream
from tests.support import future_slot, server_error


@pytest.mark.parametrize("named", list_queries(), ids=lambda q: q.name)
def test_analyst_runs_every_query(analyst, named):
    info, _ = analyst
    sql, args = named.limited(5)
    with stream(info, sql, args) as (columns, rows):
        assert columns and len(list(rows)) <= 5


def test_analyst_calls_the_read_paths(analyst):
    info, ids = analyst
    conn = connect(info)
    try:
        with conn.cursor() as cur:
            cur.execute("CALL get_patient_record(%s)", (ids["patient"],))
            assert cur.fetchone()[0] == ids["patient"]
            while cur.nextset():
                pass
            cur.execute("CALL search_patients('Ient', 1)")
            assert len(cur.fetchall()) == 1
            while cur.nextset():
                pass
            cur.execute("CALL get_doctor_day_schedule(%s, CURDATE())", (ids["doctor"],))
            while cur.nextset():
                pass
            cur.execute("SELECT doctor_slot_is_free(%s, %s)", (ids["doctor"], future_slot(60)))
            assert cur.fetchone()[0] == 0
    finally:
        conn.close()


@pytest.mark.parametrize("statement", [
    "INSERT INTO department (name, location) VALUES ('Analyst Dept', 'x')",
    "UPDATE patient SET city = 'Nowhere' WHERE patient_id = %(patient)s",
    "DELETE FROM appointment WHERE doctor_id = %(doctor)s",
    "CALL book_appointment(%(patient)s, %(doctor)s, '2099-01-01 10:00', NULL, 'x', @id)",
    "CREATE TABLE analyst_scratch (id INT)",
])
def test_analyst_cannot_write(analyst, statement, db):
    info, ids = analyst
    conn = connect(info)
    try:
        with pytest.raises(pymysql.err.MySQLError) as excinfo:
            with conn.cursor() as cur:
                cur.execute(statement, ids)
    finally:
        conn.close()
    assert server_error(excinfo)[0] in (errcodes.TABLEACCESS_DENIED, errcodes.PROCACCESS_DENIED,
                                        errcodes.DB_ACCESS_DENIED)
