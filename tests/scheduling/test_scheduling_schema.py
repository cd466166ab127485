"""The scheduling tables are InnoDB utf8mb4, and the claim keys are primary keys."""

from __future__ import annotations

from tests.support import query

TABLES = ("doctor_availability", "doctor_leave", "public_holiday", "appointment_doctor_claim",
          "appointment_patient_claim", "appointment_status_history", "waitlist_entry", "waitlist_offer",
          "walkin_day", "walkin_visit", "doctor_login", "schedule_number")


def test_scheduling_tables_are_innodb_utf8mb4(db):
    rows = query(db, "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN %s", (TABLES,))
    assert sorted(r[0] for r in rows) == sorted(TABLES)
    assert {r[1] for r in rows} == {"InnoDB"} and all(r[2].startswith("utf8mb4") for r in rows)


def test_the_claims_are_decided_by_primary_keys(db):
    rows = query(db, "SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS "
                     "WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'PRIMARY' "
                     "AND TABLE_NAME IN ('appointment_doctor_claim', 'appointment_patient_claim') GROUP BY TABLE_NAME")
    assert dict(rows) == {"appointment_doctor_claim": "doctor_id,unit_at,seat",
                          "appointment_patient_claim": "patient_id,unit_at"}
