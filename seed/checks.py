"""`hms seed verify`: counts, foreign keys, double bookings and the realism rules.

Each check is one query whose answer is compared with what the rule demands.
The data was loaded with foreign-key and unique checks off, so orphans and
duplicates are counted here rather than trusted to the keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hms.connection import ConnectionInfo, session
from hms.errors import DatabaseError

from . import derived, scale, scheduling_checks, vocabulary

# (child table, column, parent table, parent key, many children per parent). Where a
# parent has many children (a doctor's 2,000 appointments), the distinct values are
# read from the child's foreign-key index (a loose index scan) and each looked up
# once; elsewhere every child row is looked up, which is cheaper than a distinct pass.
FOREIGN_KEYS = (
    ("doctor", "department_id", "department", "department_id", True),
    ("nurse", "department_id", "department", "department_id", True),
    ("department_medication", "department_id", "department", "department_id", True),
    ("department_medication", "medication_id", "medication", "medication_id", True),
    ("patient", "registered_by", "receptionist", "receptionist_id", True),
    ("room", "patient_id", "patient", "patient_id", False),
    ("appointment", "patient_id", "patient", "patient_id", False),
    ("appointment", "doctor_id", "doctor", "doctor_id", True),
    ("appointment", "receptionist_id", "receptionist", "receptionist_id", True),
    ("billing", "patient_id", "patient", "patient_id", False),
    ("billing", "appointment_id", "appointment", "appointment_id", False),
    ("medical_record", "patient_id", "patient", "patient_id", False),
    ("medical_record", "doctor_id", "doctor", "doctor_id", True),
    ("medical_record", "appointment_id", "appointment", "appointment_id", False),
    ("prescription", "record_id", "medical_record", "record_id", False),
    ("prescription_medication", "prescription_id", "prescription", "prescription_id", True),
    ("prescription_medication", "medication_id", "medication", "medication_id", True),
)
ORPHAN_ROWS = ("SELECT COUNT(*) FROM `{child}` AS c LEFT JOIN `{parent}` AS p ON p.`{key}` = c.`{column}` "
               "WHERE c.`{column}` IS NOT NULL AND p.`{key}` IS NULL")
ORPHAN_VALUES = ("SELECT COUNT(*) FROM (SELECT DISTINCT `{column}` AS v FROM `{child}` WHERE `{column}` IS NOT NULL) "
                 "AS c LEFT JOIN `{parent}` AS p ON p.`{key}` = c.v WHERE p.`{key}` IS NULL")

# (what, table, columns) of every UNIQUE key, checked because unique_checks was off.
UNIQUE_KEYS = (
    ("no doctor double-booked", "appointment", "doctor_id, active_slot"),
    ("one medical record per appointment", "medical_record", "appointment_id"),
    ("doctor e-mails unique", "doctor", "email"),
    ("doctor licence numbers unique", "doctor", "license_number"),
    ("nurse e-mails unique", "nurse", "email"),
    ("receptionist e-mails unique", "receptionist", "email"),
    ("room numbers unique", "room", "room_number"),
    ("one room per patient", "room", "patient_id"),
    ("medication names unique", "medication", "name"),
)

# (rule, SQL returning the number of rows breaking it); %(as_of)s is the dataset's today.
ZERO_RULES = (
    ("appointments on 30-minute slots in clinic hours (08:00-16:30, weekdays)",
     "SELECT COUNT(*) FROM appointment WHERE MINUTE(starts_at) NOT IN (0, 30) OR SECOND(starts_at) <> 0 "
     "OR TIME(starts_at) < '08:00:00' OR TIME(starts_at) > '16:30:00' OR WEEKDAY(starts_at) > 4"),
    ("no future appointment is Completed or No-show",
     "SELECT COUNT(*) FROM appointment WHERE starts_at >= %(as_of)s AND status IN ('Completed', 'No-show')"),
    ("no appointment before the patient was born",
     "SELECT COUNT(*) FROM appointment AS a JOIN patient AS p ON p.patient_id = a.patient_id "
     "WHERE DATE(a.starts_at) < p.date_of_birth"),
    ("every medical record is a Completed appointment's patient, doctor and date",
     "SELECT COUNT(*) FROM medical_record AS mr LEFT JOIN appointment AS a ON a.appointment_id = mr.appointment_id "
     "WHERE a.appointment_id IS NULL OR a.status <> 'Completed' OR a.patient_id <> mr.patient_id "
     "OR a.doctor_id <> mr.doctor_id OR DATE(a.starts_at) <> mr.visit_date"),
    ("prescriptions written on their record's visit day",
     "SELECT COUNT(*) FROM prescription AS p JOIN medical_record AS mr ON mr.record_id = p.record_id "
     "WHERE DATE(p.prescribed_at) <> mr.visit_date"),
    # Driven from prescription (STRAIGHT_JOIN): each prescription's department is found
    # once for its one to five medications, and pm is read in its primary-key order.
    ("every prescribed medication is stocked in the prescribing doctor's department",
     "SELECT STRAIGHT_JOIN COUNT(*) FROM prescription AS p "
     "JOIN medical_record AS mr ON mr.record_id = p.record_id JOIN doctor AS d ON d.doctor_id = mr.doctor_id "
     "JOIN prescription_medication AS pm ON pm.prescription_id = p.prescription_id "
     "LEFT JOIN department_medication AS dm ON dm.department_id = d.department_id "
     "AND dm.medication_id = pm.medication_id WHERE dm.medication_id IS NULL"),
    ("bills for a visit are the visit's patient and day",
     "SELECT COUNT(*) FROM billing AS b JOIN appointment AS a ON a.appointment_id = b.appointment_id "
     "WHERE a.patient_id <> b.patient_id OR DATE(a.starts_at) <> b.bill_date"),
    ("bill amounts between 1 and 50,000",
     "SELECT COUNT(*) FROM billing WHERE total_amount < 1 OR total_amount > 50000"),
    ("stock never negative", "SELECT COUNT(*) FROM department_medication WHERE stock_quantity < 0"),
    ("an occupied room is not available", "SELECT COUNT(*) FROM room WHERE patient_id IS NOT NULL AND is_available"),
    ("no date of birth in the future or before 1900",
     "SELECT COUNT(*) FROM patient WHERE date_of_birth > %(as_of)s OR date_of_birth < '1900-01-01'"),
)

# (rule, SQL returning one number, low, high)
RANGE_RULES = (
    ("past appointments mostly Completed (share 80-97%)",
     "SELECT AVG(status = 'Completed') * 100 FROM appointment WHERE starts_at < %(as_of)s", 80, 97),
    ("future appointments mostly Scheduled (share 85-100%)",
     "SELECT COALESCE(AVG(status = 'Scheduled') * 100, 100) FROM appointment WHERE starts_at >= %(as_of)s", 85, 100),
    ("children under 18 are 12-35% of patients",
     "SELECT AVG(TIMESTAMPDIFF(YEAR, date_of_birth, %(as_of)s) < 18) * 100 FROM patient", 12, 35),
    ("people aged 65 and over are 8-30% of patients",
     "SELECT AVG(TIMESTAMPDIFF(YEAR, date_of_birth, %(as_of)s) >= 65) * 100 FROM patient", 8, 30),
    ("oldest patient at most 105", "SELECT MAX(TIMESTAMPDIFF(YEAR, date_of_birth, %(as_of)s)) FROM patient", 0, 105),
    ("mean bill 50-2,000", "SELECT AVG(total_amount) FROM billing", 50, 2000),
    ("most bills tied to a visit (share 85-100%)",
     "SELECT AVG(appointment_id IS NOT NULL) * 100 FROM billing", 85, 100),
)

# Where the small-scale floors make a rule meaningless, it is not applied.
MIN_ROWS_FOR_SHARES = 200


@dataclass
class Report:
    """Checks passed and failed, one line each."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check(self, ok: bool, line: str) -> None:
        (self.passed if ok else self.failed).append(line)


def verify(info: ConnectionInfo, expected_scale: float | None = None) -> Report:
    """Return the report of every check on `info.database`."""
    with session(info) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT MIN(scale), MAX(scale), MIN(as_of) FROM hms_seed_chunk")
            low, high, as_of = cur.fetchone()
        if low is None and expected_scale is None:
            raise DatabaseError(f"'{info.database}' was not seeded by `hms seed` (no hms_seed_chunk rows)",
                                "Seed it with `hms seed`, or pass --scale to check the counts anyway")
        report = Report()
        scale_value = expected_scale if expected_scale is not None else low
        as_of = as_of or date.today()
        _counts(conn, report, scale_value)
        _orphans(conn, report)
        _uniques(conn, report)
        _rules(conn, report, as_of)
        _specializations(conn, report)
        _billing_summary(conn, report)
        derived.check(conn, report, as_of)
        scheduling_checks.check(conn, report)
        return report


def _one(conn, sql: str, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def _counts(conn, report: Report, scale_value: float) -> None:
    for table, expected in scale.counts(scale_value).items():
        actual = _one(conn, f"SELECT COUNT(*) FROM `{table}`")
        report.check(actual == expected, f"{table}: {actual:,} rows (expected {expected:,} at scale {scale_value:g})")


def _orphans(conn, report: Report) -> None:
    for child, column, parent, key, many in FOREIGN_KEYS:
        sql = (ORPHAN_VALUES if many else ORPHAN_ROWS).format(child=child, column=column, parent=parent, key=key)
        orphans = _one(conn, sql)
        what = "orphan value(s)" if many else "orphan row(s)"
        report.check(orphans == 0, f"{child}.{column} -> {parent}: {orphans:,} {what}")


def _uniques(conn, report: Report) -> None:
    for what, table, columns in UNIQUE_KEYS:
        not_null = " AND ".join(f"{c.strip()} IS NOT NULL" for c in columns.split(","))
        duplicates = _one(conn, f"SELECT COUNT(*) FROM (SELECT 1 FROM `{table}` WHERE {not_null} "
                                f"GROUP BY {columns} HAVING COUNT(*) > 1) AS d")
        report.check(duplicates == 0, f"{what}: {duplicates:,} duplicate(s)")


def _rules(conn, report: Report, as_of: date) -> None:
    args = {"as_of": as_of}
    for rule, sql in ZERO_RULES:
        broken = _one(conn, sql, args)
        report.check(broken == 0, f"{rule}: {broken:,} row(s) break it")
    big_enough = _one(conn, "SELECT COUNT(*) FROM patient") >= MIN_ROWS_FOR_SHARES
    for rule, sql, low, high in RANGE_RULES:
        if not big_enough:
            report.passed.append(f"{rule}: not applied below {MIN_ROWS_FOR_SHARES} patients")
            continue
        value = _one(conn, sql, args)
        value = float(value) if value is not None else None
        report.check(value is not None and low <= value <= high,
                     f"{rule}: {value:.1f}" if value is not None else f"{rule}: no rows")


def _specializations(conn, report: Report) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT dep.name, d.specialization, COUNT(*) FROM doctor AS d "
                    "JOIN department AS dep ON dep.department_id = d.department_id GROUP BY 1, 2")
        pairs = cur.fetchall()
    wrong = [(dep, spec, n) for dep, spec, n in pairs
             if dep not in vocabulary.DEPARTMENTS or spec not in vocabulary.DEPARTMENTS[dep][1]]
    report.check(not wrong, "doctors' specializations match their departments"
                 + (f": {sum(n for _, _, n in wrong)} do not, e.g. {wrong[0][1]} in {wrong[0][0]}" if wrong else ""))


BILLING_SUMMARY_MISMATCHES = """
SELECT COUNT(*) FROM (
    SELECT b.patient_id FROM (SELECT patient_id, COUNT(*) AS bills, SUM(total_amount) AS total
                                FROM billing GROUP BY patient_id) AS b
      LEFT JOIN patient_billing_summary AS s ON s.patient_id = b.patient_id
     WHERE s.patient_id IS NULL OR s.bills <> b.bills OR s.total_billed <> b.total
    UNION ALL
    SELECT s.patient_id FROM patient_billing_summary AS s
     WHERE NOT EXISTS (SELECT 1 FROM billing AS b WHERE b.patient_id = s.patient_id)
) AS wrong
"""


def _billing_summary(conn, report: Report) -> None:
    wrong = _one(conn, BILLING_SUMMARY_MISMATCHES)
    report.check(wrong == 0, f"patient_billing_summary agrees with billing: {wrong:,} patient(s) differ")
