"""A routine or trigger file removed from sql/ is retired: the next run drops its object,
and an old home migrates to a clean `hms db verify` (grant_read_only_routines.sql and
grant_billing_stock_routines.sql were removed this way)."""

from __future__ import annotations

from hms.connection import connect
from hms.migrations import Migrator
from hms.migrations import verify_database as verify
from tests.support import query

RETIRED = """DROP FUNCTION IF EXISTS zz_retired;

DELIMITER $$
CREATE FUNCTION zz_retired() RETURNS INT DETERMINISTIC NO SQL
BEGIN
    RETURN 1;
END$$
DELIMITER ;
"""


def routines(info) -> set[str]:
    conn = connect(info)
    try:
        return {name for (name,) in query(conn, "SELECT ROUTINE_NAME FROM information_schema.ROUTINES "
                                                "WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME LIKE 'zz\\_%%'")}
    finally:
        conn.close()


def test_a_removed_routine_file_has_its_routine_dropped_and_nothing_else(fresh_database, sql_copy):
    (sql_copy / "routines" / "zz_retired.sql").write_text(RETIRED)
    Migrator(fresh_database, sql_root=sql_copy).migrate()
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:  # made by hand, not by a file: never the runner's to drop
            cur.execute("CREATE FUNCTION zz_by_hand() RETURNS INT DETERMINISTIC NO SQL RETURN 2")
    finally:
        conn.close()
    (sql_copy / "routines" / "zz_retired.sql").unlink()
    states = {s.file: s.state for s in Migrator(fresh_database, sql_root=sql_copy).status()}
    assert states["sql/routines/zz_retired.sql"] == "missing"  # until a run drops it

    result = Migrator(fresh_database, sql_root=sql_copy).migrate()

    assert result.retired == [("FUNCTION", "zz_retired")]
    assert routines(fresh_database) == {"zz_by_hand"}
    assert "sql/routines/zz_retired.sql" not in {s.file for s in Migrator(fresh_database, sql_root=sql_copy).status()}
    assert Migrator(fresh_database, sql_root=sql_copy).migrate().retired == []
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP FUNCTION zz_by_hand")
    finally:
        conn.close()
    assert verify(fresh_database, sql_root=sql_copy) == []
