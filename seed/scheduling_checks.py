"""`hms seed verify`: the scheduling rules (sql/schema/V014-V029) on the seeded rows.

The loader skips the appointment triggers, and seed/scheduling.py derives the
scheduling tables afterwards, so the rules the triggers and claim keys enforce on
every later change are counted here once.
"""

from __future__ import annotations

# (rule, SQL returning the number of rows breaking it)
ZERO_RULES = (
    ("every doctor has an availability template",
     "SELECT COUNT(*) FROM doctor AS d WHERE NOT EXISTS (SELECT 1 FROM doctor_availability AS t "
     "WHERE t.doctor_id = d.doctor_id)"),
    ("no two templates of a doctor overlap in hours and validity",
     "SELECT COUNT(*) FROM doctor_availability AS a JOIN doctor_availability AS b ON b.doctor_id = a.doctor_id "
     "AND b.weekday = a.weekday AND b.availability_id > a.availability_id "
     "AND b.starts_time < a.ends_time AND a.starts_time < b.ends_time "
     "AND b.valid_from <= COALESCE(a.valid_to, DATE '9999-12-31') "
     "AND a.valid_from <= COALESCE(b.valid_to, DATE '9999-12-31')"),
    ("no appointment outside its doctor's availability",
     "SELECT COUNT(*) FROM appointment AS a JOIN doctor AS d ON d.doctor_id = a.doctor_id "
     "WHERE NOT EXISTS (SELECT 1 FROM doctor_availability AS t "
     "WHERE t.doctor_id = a.doctor_id AND t.weekday = WEEKDAY(a.starts_at) AND t.valid_from <= DATE(a.starts_at) "
     "AND (t.valid_to IS NULL OR t.valid_to >= DATE(a.starts_at)) AND TIME(a.starts_at) >= t.starts_time "
     "AND TIME_TO_SEC(TIME(a.starts_at)) + 60 * a.duration_minutes <= TIME_TO_SEC(t.ends_time) "
     "AND MOD(TIME_TO_SEC(TIME(a.starts_at)) - TIME_TO_SEC(t.starts_time), 60 * t.slot_minutes) = 0 "
     "AND MOD(a.duration_minutes, t.slot_minutes) = 0 AND a.seat < t.capacity)"),
    ("no appointment in its doctor's leave",
     "SELECT COUNT(*) FROM doctor_leave AS l JOIN appointment AS a ON a.doctor_id = l.doctor_id "
     "AND a.starts_at < l.ends_at AND a.starts_at + INTERVAL a.duration_minutes MINUTE > l.starts_at "
     "AND a.starts_at > l.starts_at - INTERVAL 1 DAY"),
    ("no appointment on a public holiday",
     "SELECT COUNT(*) FROM public_holiday AS h JOIN appointment AS a "
     "ON a.status IN ('Scheduled', 'Completed', 'Cancelled', 'No-show') "
     "AND a.starts_at >= h.holiday_date AND a.starts_at < h.holiday_date + INTERVAL 1 DAY"),
    ("no patient holds two overlapping Scheduled appointments",
     "SELECT COUNT(*) FROM appointment AS a JOIN appointment AS b ON b.patient_id = a.patient_id "
     "AND b.appointment_id <> a.appointment_id AND b.status = 'Scheduled' "
     "AND b.starts_at >= a.starts_at AND b.starts_at < a.starts_at + INTERVAL a.duration_minutes MINUTE "
     "AND (b.starts_at > a.starts_at OR b.appointment_id > a.appointment_id) WHERE a.status = 'Scheduled'"),
    ("no doctor holds two overlapping Scheduled appointments in one place",
     "SELECT COUNT(*) FROM appointment AS a JOIN appointment AS b ON b.doctor_id = a.doctor_id AND b.seat = a.seat "
     "AND b.appointment_id <> a.appointment_id AND b.status = 'Scheduled' "
     "AND b.starts_at >= a.starts_at AND b.starts_at < a.starts_at + INTERVAL a.duration_minutes MINUTE "
     "AND (b.starts_at > a.starts_at OR b.appointment_id > a.appointment_id) WHERE a.status = 'Scheduled'"),
    ("every appointment's status history ends in its status and start",
     "SELECT COUNT(*) FROM appointment AS a LEFT JOIN (SELECT appointment_id, MAX(history_id) AS last_id "
     "FROM appointment_status_history GROUP BY appointment_id) AS m ON m.appointment_id = a.appointment_id "
     "LEFT JOIN appointment_status_history AS h ON h.history_id = m.last_id "
     "WHERE h.history_id IS NULL OR h.to_status <> a.status OR h.to_starts_at <> a.starts_at"),
    ("every status history starts with the booking",
     "SELECT COUNT(*) FROM appointment_status_history AS h WHERE h.from_status IS NULL AND h.to_status <> 'Scheduled'"),
    ("every Scheduled appointment holds its claim rows, and no other appointment any",
     "SELECT ABS((SELECT COALESCE(SUM(duration_minutes DIV 15), 0) FROM appointment WHERE status = 'Scheduled') "
     "- (SELECT COUNT(*) FROM appointment_doctor_claim)) + ABS((SELECT COUNT(*) FROM appointment_doctor_claim) "
     "- (SELECT COUNT(*) FROM appointment_patient_claim)) + (SELECT COUNT(*) FROM appointment_doctor_claim AS c "
     "JOIN appointment AS a ON a.appointment_id = c.appointment_id WHERE a.status <> 'Scheduled')"),
    ("walk-in queues numbered 1..n without gaps",
     "SELECT COUNT(*) FROM walkin_day AS w WHERE w.last_number <> (SELECT COUNT(*) FROM walkin_visit AS v "
     "WHERE v.department_id = w.department_id AND v.queue_date = w.queue_date)"),
)


def check(conn, report) -> None:
    """Add one line per scheduling rule to `report` (seed/checks.py Report)."""
    for rule, sql in ZERO_RULES:
        with conn.cursor() as cur:
            cur.execute(sql)
            broken = cur.fetchone()[0]
        report.check(broken == 0, f"{rule}: {broken:,} row(s) break it")
