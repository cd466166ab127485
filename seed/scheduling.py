"""The scheduling tables of a seeded database, derived in SQL from the loaded rows.

Run by `hms seed` after the thirteen tables and their indexes are in (seed/run.py),
beside the invoices, stock and summaries; it adds rows only to the scheduling tables
(sql/schema/V014-V029) and changes no count of the thirteen. Everything is a function
of the loaded rows and the plan's as_of, computed by the server, so it is the same at
any worker count:

- doctor_availability: every doctor works weekdays 08:00-12:00 and 12:00-17:00 in
  30-minute slots of one patient (where every generated appointment lies), from the
  first day of the calendar; one doctor in ten also has a Saturday clinic 09:00-12:00
  in 15-minute slots of two. 10 rows a doctor, +1 for one in ten.
- public_holiday: New Year's Day, Labour Day, Christmas and Boxing Day of every year the
  calendar touches, on which no appointment falls.
- doctor_leave: whole days of a doctor with no appointment of any status, one in five
  of a doctor's free weekdays (by a hash of doctor and day).
- a patient holding two overlapping Scheduled appointments (the generator draws
  patients independently, so at scale 1.0 a handful do) keeps the first; the later one
  is Cancelled, as a front desk would (the status change is in the history), by
  prepare, before the other derived tables and the summaries are built.
- appointment_status_history: every appointment's booking (NULL -> Scheduled, some days
  before the visit; history_id 2 x appointment_id - 1) and, unless still Scheduled, its
  outcome (Scheduled -> status; history_id 2 x appointment_id), so ids do not depend on
  how many sessions write them.
- appointment_doctor_claim / appointment_patient_claim: the key rows of every Scheduled
  appointment, one per 15 minutes.
- waitlist_entry: one future Scheduled appointment in 500 (at least one; picked by a hash of
  its id) has its patient waiting for an earlier slot with the same doctor, or for one in
  four with the doctor's department.
- walkin_day / walkin_visit: the 20 weekdays before as_of, every department, about 40
  walk-ins a day at scale 1.0 (at least 1), all Seen but one in ten Left.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from hms import dialect
from hms.connection import ConnectionInfo, session

from .generate import Plan

SEED_LOGIN = "hms-seed"
WALKIN_DAYS = 20
WAITING_PER = 500          # one waitlist entry per 500 Scheduled appointments (at least one)
WALKINS_PER_DAY = 40
# 0..99 from two digit tables: queue numbers without a recursive CTE (portable).
HUNDRED = ("(SELECT a.n + 10 * b.n AS n FROM {d} AS a CROSS JOIN {d} AS b)").format(
    d="(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL "
      "SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)")

CLEAR = ("DELETE FROM waitlist_offer", "DELETE FROM waitlist_entry", "DELETE FROM walkin_visit", "DELETE FROM walkin_day",
         "DELETE FROM appointment_doctor_claim", "DELETE FROM appointment_patient_claim",
         "DELETE FROM appointment_status_history", "DELETE FROM doctor_leave", "DELETE FROM public_holiday")

# Row by row (VALUES), not INSERT ... SELECT FROM doctor: trg_doctor_availability_insert
# locks the doctor's row (FOR UPDATE), which a statement reading `doctor` may not (1442).
ADD_TEMPLATE = ("INSERT INTO doctor_availability (doctor_id, weekday, starts_time, ends_time, slot_minutes, capacity, "
                "valid_from) VALUES (%s, %s, %s, %s, %s, %s, %s)")


def templates(doctors: list[int], first_day: date) -> list[tuple]:
    """Every doctor's weekdays 08:00-12:00 and 12:00-17:00 (30 minutes, one patient), then
    one doctor in ten's Saturday 09:00-12:00 (15 minutes, two): templates that only meet."""
    weekly = [(d, weekday, starts, ends, 30, 1, first_day) for d in doctors for weekday in range(5)
              for starts, ends in (("08:00", "12:00"), ("12:00", "17:00"))]
    return weekly + [(d, 5, "09:00", "12:00", 15, 2, first_day) for d in doctors if d % 10 == 0]


# The days each doctor has any appointment on: one pass over idx_appointment_doctor_starts.
BUSY_DAYS = (
    "CREATE TEMPORARY TABLE hms_seed_busy_day (doctor_id INT UNSIGNED NOT NULL, day DATE NOT NULL, "
    "PRIMARY KEY (doctor_id, day), KEY (day)) ENGINE=InnoDB",
    "INSERT IGNORE INTO hms_seed_busy_day (doctor_id, day) SELECT doctor_id, DATE(starts_at) FROM appointment "
    "ORDER BY doctor_id, starts_at",
)
CALENDAR = ("CREATE TEMPORARY TABLE hms_seed_weekday (day DATE NOT NULL, PRIMARY KEY (day)) ENGINE=InnoDB")

# Only dates no appointment falls on.
HOLIDAYS = (
    "INSERT INTO public_holiday (holiday_date, name) "
    "SELECT h.day, h.name FROM ({candidates}) AS h WHERE NOT EXISTS (SELECT 1 FROM hms_seed_busy_day AS b "
    "WHERE b.day = h.day)"
)

# Patients double-booked by the generator: the later of two overlapping Scheduled appointments.
OVERLAPS = (
    "SELECT DISTINCT b.appointment_id FROM appointment AS a JOIN appointment AS b "
    "ON b.patient_id = a.patient_id AND b.appointment_id <> a.appointment_id "
    "AND (b.starts_at > a.starts_at OR (b.starts_at = a.starts_at AND b.appointment_id > a.appointment_id)) "
    "AND b.starts_at < a.starts_at + INTERVAL a.duration_minutes MINUTE AND b.status = 'Scheduled' "
    "WHERE a.status = 'Scheduled'"
)

HISTORY = (
    "INSERT INTO appointment_status_history (history_id, appointment_id, from_status, to_status, from_starts_at, "
    "to_starts_at, changed_by, changed_at, reason) "
    "SELECT 2 * appointment_id - 1, appointment_id, NULL, 'Scheduled', NULL, starts_at, %(login)s, "
    "starts_at - INTERVAL (1 + MOD(appointment_id, 28)) DAY - INTERVAL MOD(appointment_id, 480) MINUTE, reason "
    "FROM appointment WHERE appointment_id BETWEEN %(lo)s AND %(hi)s",
    "INSERT INTO appointment_status_history (history_id, appointment_id, from_status, to_status, from_starts_at, "
    "to_starts_at, changed_by, changed_at, reason) "
    "SELECT 2 * appointment_id, appointment_id, 'Scheduled', status, starts_at, starts_at, %(login)s, "
    "IF(status = 'Cancelled', starts_at - INTERVAL MOD(appointment_id, 24 * 60) MINUTE, "
    "   starts_at + INTERVAL duration_minutes MINUTE), NULL "
    "FROM appointment WHERE appointment_id BETWEEN %(lo)s AND %(hi)s AND status <> 'Scheduled'",
)
HISTORY_BATCH = 100_000

CLAIMS = (
    "INSERT INTO appointment_doctor_claim (doctor_id, unit_at, seat, appointment_id) "
    "SELECT a.doctor_id, a.starts_at + INTERVAL 15 * u.n MINUTE, a.seat, a.appointment_id "
    "FROM appointment AS a JOIN {numbers} AS u ON u.n < a.duration_minutes DIV 15 WHERE a.status = 'Scheduled'",
    "INSERT INTO appointment_patient_claim (patient_id, unit_at, appointment_id) "
    "SELECT a.patient_id, a.starts_at + INTERVAL 15 * u.n MINUTE, a.appointment_id "
    "FROM appointment AS a JOIN {numbers} AS u ON u.n < a.duration_minutes DIV 15 WHERE a.status = 'Scheduled'",
)
UNITS = "(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 " \
        "UNION ALL SELECT 6 UNION ALL SELECT 7)"

# One in five free weekdays of each doctor (days with no appointment of any status).
LEAVE = (
    "INSERT INTO doctor_leave (doctor_id, starts_at, ends_at, reason) "
    "SELECT d.doctor_id, TIMESTAMP(c.day), TIMESTAMP(c.day) + INTERVAL 1 DAY, "
    "ELT(1 + MOD(d.doctor_id + TO_DAYS(c.day), 3), 'annual leave', 'course', 'sick leave') "
    "FROM doctor AS d JOIN hms_seed_weekday AS c ON MOD(d.doctor_id * 7 + TO_DAYS(c.day), 5) = 0 "
    "WHERE NOT EXISTS (SELECT 1 FROM hms_seed_busy_day AS b WHERE b.doctor_id = d.doctor_id AND b.day = c.day) "
    "ORDER BY d.doctor_id, c.day"
)

WAITLIST = (
    "INSERT INTO waitlist_entry (patient_id, doctor_id, department_id, window_from, window_to, duration_minutes, "
    "status, created_at) "
    "SELECT patient_id, IF(MOD(appointment_id, 4) = 0, NULL, doctor_id), IF(MOD(appointment_id, 4) = 0, department_id, "
    "NULL), TIMESTAMP(%(as_of)s), starts_at, 30, 'Waiting', TIMESTAMP(%(as_of)s) - INTERVAL MOD(appointment_id, 7) DAY "
    "FROM (SELECT a.appointment_id, a.patient_id, a.doctor_id, d.department_id, a.starts_at "
    "      FROM appointment AS a JOIN doctor AS d ON d.doctor_id = a.doctor_id "
    "      WHERE a.status = 'Scheduled' AND a.starts_at > TIMESTAMP(%(as_of)s) "
    "      ORDER BY MOD(a.appointment_id * 2654435761, 4294967291), a.appointment_id LIMIT %(waiting)s) AS w "
    "ORDER BY appointment_id"
)

WALKIN_DAY = (
    "INSERT INTO walkin_day (department_id, queue_date, last_number) "
    "SELECT dep.department_id, c.day, %(per_day)s FROM department AS dep "
    "JOIN (SELECT day FROM hms_seed_weekday WHERE day < %(as_of)s ORDER BY day DESC LIMIT %(days)s) AS c "
    "ORDER BY dep.department_id, c.day"
)
WALKIN_VISIT = (
    "INSERT INTO walkin_visit (department_id, queue_date, queue_number, patient_id, status, checked_in_at, "
    "called_at, finished_at) "
    "SELECT w.department_id, w.queue_date, k.n + 1, "
    "1 + MOD(w.department_id * 7919 + TO_DAYS(w.queue_date) * 104729 + k.n * 15485863, %(patients)s), "
    "IF(MOD(w.department_id + TO_DAYS(w.queue_date) + k.n, 10) = 0, 'Left', 'Seen'), "
    "TIMESTAMP(w.queue_date, '08:00') + INTERVAL (k.n * 540 DIV %(per_day)s) MINUTE, "
    "IF(MOD(w.department_id + TO_DAYS(w.queue_date) + k.n, 10) = 0, NULL, "
    "   TIMESTAMP(w.queue_date, '08:00') + INTERVAL (k.n * 540 DIV %(per_day)s + 20) MINUTE), "
    "TIMESTAMP(w.queue_date, '08:00') + INTERVAL (k.n * 540 DIV %(per_day)s + 40) MINUTE "
    "FROM walkin_day AS w JOIN " + HUNDRED + " AS k ON k.n < w.last_number ORDER BY w.department_id, w.queue_date, k.n"
)


def holiday_candidates(first: date, last: date) -> str:
    rows = []
    for year in range(first.year, last.year + 1):
        for month, day, name in ((1, 1, "New Year''s Day"), (5, 1, "Labour Day"), (12, 25, "Christmas Day"),
                                 (12, 26, "Boxing Day")):
            rows.append(f"SELECT DATE '{year:04d}-{month:02d}-{day:02d}' AS day, '{name}' AS name")
    return " UNION ALL ".join(rows)


def walkins_per_day(scale_value: float) -> int:
    return max(1, round(WALKINS_PER_DAY * scale_value))


def _calendar(cur, plan: Plan) -> tuple[date, date, int]:
    """The first and last day the scheduling tables cover, and the highest appointment id."""
    cur.execute("SELECT MIN(starts_at), MAX(starts_at), MAX(appointment_id) FROM appointment")
    first, last, top = cur.fetchone()
    first_day = min(first.date() if first else plan.as_of, plan.as_of - timedelta(days=WALKIN_DAYS * 2))
    return first_day, (last.date() if last else plan.as_of), top or 0


def prepare(info: ConnectionInfo, plan: Plan, unlogged: bool = False) -> None:
    """Cancel the later of a patient's overlapping Scheduled appointments and (re)build every
    doctor's templates: what fill, the summaries and the invoices must not run beside. Before
    them, so they all see final statuses (the cancellations' status-history rows are replaced
    by fill's, which clears and rebuilds the history from the statuses),
    and because a template's trigger locks its doctor's row, which their reads share-lock.
    """
    with session(info, autocommit=False) as conn, conn.cursor() as cur:
        if unlogged and not dialect.wsrep_on(conn):
            cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute(OVERLAPS)
        doubled = [row[0] for row in cur.fetchall()]
        if doubled:
            cur.execute("SET @hms_status_reason = 'patient double-booked: the later booking is cancelled'")
            cur.execute("UPDATE appointment SET status = 'Cancelled' WHERE appointment_id IN %s", (doubled,))
            cur.execute("SET @hms_status_reason = NULL")
        cur.execute("DELETE FROM doctor_availability")   # fill clears the other tables
        first_day, _, _ = _calendar(cur, plan)
        cur.execute("SELECT doctor_id FROM doctor ORDER BY doctor_id")
        cur.executemany(ADD_TEMPLATE, templates([row[0] for row in cur.fetchall()], first_day))
        conn.commit()


def fill(info: ConnectionInfo, plan: Plan, unlogged: bool = False, sessions: int = 1) -> dict[str, int]:
    """(Re)build the scheduling tables but the templates from the loaded rows (after prepare);
    return their row counts.

    The status history (two rows for most appointments) is written by `sessions`
    sessions side by side, each a range of appointment ids; the rest by one session.
    """
    with session(info, autocommit=False) as conn, conn.cursor() as cur:
        # On a Galera node (MariaDB 10.11) a write that reads this session's temporary tables fails
        # with 1146 ("doesn't exist") when its transaction has already written a replicated table, or
        # under sql_log_bin = 0. So the fill commits before each such write (it starts by clearing,
        # so a run cut in between is re-done whole), and on a cluster is logged (the nodes log what
        # they apply anyway, docs/cluster.md).
        if unlogged and not dialect.wsrep_on(conn):
            cur.execute("SET SESSION sql_log_bin = 0")
        for statement in CLEAR:
            cur.execute(statement)
        conn.commit()
        first_day, last_day, top = _calendar(cur, plan)
        days = {"first_day": first_day, "last_day": last_day, "as_of": plan.as_of}
        for statement in BUSY_DAYS:
            cur.execute(statement)
        cur.execute(CALENDAR)
        weekdays = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
        cur.executemany("INSERT INTO hms_seed_weekday (day) VALUES (%s)", [(d,) for d in weekdays if d.weekday() < 5])
        conn.commit()   # before each write that reads a temporary table (Galera, above)
        cur.execute(HOLIDAYS.format(candidates=holiday_candidates(first_day, last_day)))
        for statement in CLAIMS:
            cur.execute(statement.format(numbers=UNITS))
        conn.commit()
        cur.execute(LEAVE, days)
        cur.execute("SELECT COUNT(*) FROM appointment WHERE status = 'Scheduled'")
        cur.execute(WAITLIST, {**days, "waiting": max(1, cur.fetchone()[0] // WAITING_PER)})
        per_day = walkins_per_day(plan.scale)
        conn.commit()
        cur.execute(WALKIN_DAY, {**days, "per_day": per_day, "days": WALKIN_DAYS})
        cur.execute("SELECT COUNT(*) FROM patient")
        patients = cur.fetchone()[0]
        cur.execute(WALKIN_VISIT, {"per_day": per_day, "patients": max(1, patients)})
        conn.commit()
    _history(info, top, unlogged, max(1, sessions))
    with session(info) as conn, conn.cursor() as cur:
        counts = {}
        for table in TABLES:
            cur.execute(f"SELECT COUNT(*) FROM `{table}`")
            counts[table] = cur.fetchone()[0]
        return counts


def _history(info: ConnectionInfo, top: int, unlogged: bool, sessions: int) -> None:
    ranges = [(lo, min(top, lo + HISTORY_BATCH - 1)) for lo in range(1, top + 1, HISTORY_BATCH)]

    def write(part: list[tuple[int, int]]) -> None:
        with session(info, autocommit=False) as conn, conn.cursor() as cur:
            if unlogged:
                cur.execute("SET SESSION sql_log_bin = 0")
            for lo, hi in part:
                for statement in HISTORY:
                    cur.execute(statement, {"login": SEED_LOGIN, "lo": lo, "hi": hi})
                conn.commit()

    parts = [ranges[i::sessions] for i in range(sessions)]
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        for future in [pool.submit(write, part) for part in parts if part]:
            future.result()


TABLES = ("doctor_availability", "doctor_leave", "public_holiday", "appointment_status_history",
          "appointment_doctor_claim", "appointment_patient_claim", "waitlist_entry", "waitlist_offer",
          "walkin_day", "walkin_visit")
