"""Each role, granted to a fresh account that logs in for real, can do exactly what its row says."""

from __future__ import annotations

import secrets

import pymysql
import pytest

from hms import errcodes
from hms.connection import connect
from tests.support import future_slot

DENIED = {errcodes.TABLEACCESS_DENIED, errcodes.COLUMNACCESS_DENIED, errcodes.PROCACCESS_DENIED,
          errcodes.SPECIFIC_ACCESS_DENIED, errcodes.DB_ACCESS_DENIED, 1227, 1044, 1410, 1227}


def can(conn, sql: str, args=None) -> bool:
    """True when the server runs the statement; False when it refuses it for lack of privilege."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            while cur.nextset():
                pass
        return True
    except pymysql.err.MySQLError as exc:
        if exc.args[0] in DENIED:
            return False
        raise


def actions(seeded) -> dict[str, tuple[str, tuple]]:
    tag = secrets.token_hex(4)
    return {
        "select": ("SELECT COUNT(*) FROM patient", ()),
        "insert": ("INSERT INTO department (name, location) VALUES (%s, 'x')", (f"Role test {tag}",)),
        "update": ("UPDATE appointment SET reason = 'role test' WHERE appointment_id = %s", (seeded["appointment"],)),
        "delete": ("DELETE FROM department WHERE department_id = %s", (seeded["department"],)),
        "function": ("SELECT calculate_age('1990-01-01'), calculate_discounted_bill(10, 5)", ()),
        "read procedure": ("CALL get_doctor_appointments(%s)", (seeded["doctor"],)),
        "create table": (f"CREATE TABLE role_probe_{tag} (id INT PRIMARY KEY)", ()),
        "create user": ("CREATE USER %s@'localhost' IDENTIFIED BY 'Xx-1234567890'", (f"probe_{tag}",)),
        "read mysql.user": ("SELECT COUNT(*) FROM mysql.user", ()),
    }


EXPECTED = {
    "hms_analyst":   {"select", "function", "read procedure"},
    "hms_auditor":   {"select", "function", "read procedure"},
    "hms_qa":        {"select", "insert", "function", "read procedure"},
    "hms_developer": {"select", "insert", "update", "delete", "function", "read procedure"},
    "hms_admin":     {"select", "insert", "update", "delete", "function", "read procedure", "create table"},
    "hms_dba":       {"select", "insert", "update", "delete", "function", "read procedure", "create table",
                      "create user", "read mysql.user"},
    "hms_receptionist": {"select", "function", "read procedure"},  # writes only through the scheduling routines
    "hms_doctor":    set(),  # reads only its own rows, through the doctor_my_* views
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_can_do_exactly_what_its_row_says(role, account, seeded, server_info, db):
    login = account(role)
    conn = connect(login)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT CURRENT_ROLE()")
            assert role in (cur.fetchone()[0] or "")
        allowed = set()
        for name, (sql, args) in actions(seeded).items():
            if can(conn, sql, args):
                allowed.add(name)
        assert allowed == EXPECTED[role]
    finally:
        conn.close()
        with db.cursor() as cur:  # tidy what the powerful roles were allowed to make
            cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                        "AND TABLE_NAME LIKE 'role\\_probe\\_%%'")
            for (table,) in cur.fetchall():
                cur.execute(f"DROP TABLE `{table}`")
            cur.execute("SELECT user, host FROM mysql.user WHERE user LIKE 'probe\\_%%'")
            for user, host in cur.fetchall():
                cur.execute("DROP USER %s@%s", (user, host))


def test_booking_procedure_needs_write_privileges(account, seeded, clinic):
    """Routines run as INVOKER: EXECUTE alone does not let a read-only role write through them."""
    analyst = connect(account("hms_analyst"))
    developer = connect(account("hms_developer"))
    slot = future_slot(days=121, hour=10)
    try:
        assert not can(analyst, "CALL book_appointment(%s, %s, %s, NULL, NULL, @a)",
                       (seeded["patient"], seeded["doctor"], slot))
        assert can(developer, "CALL book_appointment(%s, %s, %s, NULL, NULL, @a)",
                   (seeded["patient"], seeded["doctor"], slot))
    finally:
        analyst.close()
        developer.close()


def test_dba_holds_grant_option(account):
    conn = connect(account("hms_dba"))
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW GRANTS")
            grants = " ".join(row[0] for row in cur.fetchall())
        assert "WITH GRANT OPTION" in grants
    finally:
        conn.close()
