"""The hospital dashboard's figures, read from small summary tables refreshed on a schedule.

visit_week_summary (V310), doctor_visit_summary (V311) and revenue_month_summary (V312) are
rebuilt from appointment and billing by `rebuild()`: after `hms seed`, and by the console in
the background when the last rebuild is older than REFRESH_MINUTES (not by triggers: on a
Galera cluster, summary writes in every booking made concurrent bookings lose). So
no chart groups the 6M appointments or bills per page view: `figures()` reads a few
thousand rows at most. `baseline_figures()` computes the same figures from the big tables
directly; the tests compare the two and benchmarks/dashboard.py times both.

Windows, all relative to `today`: visits per week for the last 26 weeks (this one
included); the no-show rate over the 12 full weeks before this one; revenue per month and
per department over the last 12 months (this one included); the busiest departments and
doctors over all time (appointments not cancelled). Weeks start on Monday.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .connection import ConnectionInfo, session

WEEKS = 26
NO_SHOW_WEEKS = 12
MONTHS = 12
TOP = 10
NO_DEPARTMENT = "Not linked to a visit"
STOCK_VIEWS = {"stock_below_reorder": "Stock at or below reorder level",
               "stock_expiring_soon": "Lots expiring soon"}
STOCK_ROWS = 10

REBUILD = (
    "DELETE FROM visit_week_summary",
    "INSERT INTO visit_week_summary (week_start, department_id, status, appointments) "
    "SELECT DATE_SUB(DATE(a.starts_at), INTERVAL WEEKDAY(a.starts_at) DAY), COALESCE(d.department_id, 0), a.status, "
    "COUNT(*) FROM appointment AS a LEFT JOIN doctor AS d ON d.doctor_id = a.doctor_id GROUP BY 1, 2, 3",
    "DELETE FROM doctor_visit_summary",
    # USE INDEX (): one pass over the table; through idx_appointment_doctor_starts each row's
    # status is a primary-key lookup (scale 0.1: 2.0 s instead of 0.15).
    "INSERT INTO doctor_visit_summary (doctor_id, appointments) "
    "SELECT doctor_id, COUNT(*) FROM appointment USE INDEX () WHERE status <> 'Cancelled' GROUP BY doctor_id",
    "DELETE FROM revenue_month_summary",
    "INSERT INTO revenue_month_summary (month_start, department_id, bills, revenue) "
    "SELECT DATE_SUB(b.bill_date, INTERVAL DAYOFMONTH(b.bill_date) - 1 DAY), COALESCE(d.department_id, 0), "
    "COUNT(*), SUM(b.total_amount) FROM billing AS b "
    "LEFT JOIN appointment AS a ON a.appointment_id = b.appointment_id "
    "LEFT JOIN doctor AS d ON d.doctor_id = a.doctor_id WHERE b.payment_status <> 'Cancelled' GROUP BY 1, 2",
    "REPLACE INTO dashboard_summary_refresh (id, refreshed_at) VALUES (1, NOW())",
)

# Each summary's rows (zero counts left out) and the same rows grouped from the big tables, in
# one order: `stale_summaries` compares them (`hms seed verify`, the tests).
CHECKS = {
    "visit_week_summary": (
        "SELECT week_start, department_id, status, SUM(appointments) AS n FROM visit_week_summary "
        "GROUP BY 1, 2, 3 HAVING n <> 0 ORDER BY 1, 2, 3",
        "SELECT DATE_SUB(DATE(a.starts_at), INTERVAL WEEKDAY(a.starts_at) DAY), COALESCE(d.department_id, 0), "
        "a.status, COUNT(*) FROM appointment AS a LEFT JOIN doctor AS d ON d.doctor_id = a.doctor_id "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
    "doctor_visit_summary": (
        "SELECT doctor_id, SUM(appointments) AS n FROM doctor_visit_summary GROUP BY 1 HAVING n <> 0 ORDER BY 1",
        "SELECT doctor_id, COUNT(*) FROM appointment USE INDEX () WHERE status <> 'Cancelled' GROUP BY doctor_id ORDER BY 1"),
    "revenue_month_summary": (
        "SELECT month_start, department_id, SUM(bills) AS n, SUM(revenue) FROM revenue_month_summary "
        "GROUP BY 1, 2 HAVING n <> 0 ORDER BY 1, 2",
        "SELECT DATE_SUB(b.bill_date, INTERVAL DAYOFMONTH(b.bill_date) - 1 DAY), COALESCE(d.department_id, 0), "
        "COUNT(*), SUM(b.total_amount) FROM billing AS b "
        "LEFT JOIN appointment AS a ON a.appointment_id = b.appointment_id "
        "LEFT JOIN doctor AS d ON d.doctor_id = a.doctor_id WHERE b.payment_status <> 'Cancelled' "
        "GROUP BY 1, 2 ORDER BY 1, 2"),
}

# The summaries' queries (what a page view costs) ...
WEEKLY = ("SELECT week_start, SUM(appointments) FROM visit_week_summary "
          "WHERE week_start >= %s AND week_start <= %s AND status <> 'Cancelled' GROUP BY week_start")
NO_SHOW = ("SELECT status, SUM(appointments) FROM visit_week_summary WHERE week_start >= %s AND week_start < %s "
           "AND status IN ('Completed', 'No-show') GROUP BY status")
DEPARTMENTS = ("SELECT d.name, SUM(s.appointments) AS n FROM visit_week_summary AS s "
               "JOIN department AS d ON d.department_id = s.department_id WHERE s.status <> 'Cancelled' "
               "GROUP BY d.department_id, d.name HAVING n > 0 ORDER BY n DESC, d.department_id DESC LIMIT %s")
DOCTORS = ("SELECT CONCAT(doc.first_name, ' ', doc.last_name), dep.name, s.appointments "
           "FROM (SELECT doctor_id, appointments FROM doctor_visit_summary WHERE appointments > 0 "
           "      ORDER BY appointments DESC, doctor_id DESC LIMIT %s) AS s "
           "JOIN doctor AS doc ON doc.doctor_id = s.doctor_id JOIN department AS dep ON dep.department_id = "
           "doc.department_id ORDER BY s.appointments DESC, s.doctor_id DESC")
MONTHLY = ("SELECT month_start, SUM(revenue) FROM revenue_month_summary WHERE month_start >= %s "
           "AND month_start <= %s GROUP BY month_start")
REVENUE_DEPARTMENTS = ("SELECT COALESCE(d.name, %s), SUM(s.revenue) AS total FROM revenue_month_summary AS s "
                       "LEFT JOIN department AS d ON d.department_id = s.department_id "
                       "WHERE s.month_start >= %s AND s.month_start <= %s GROUP BY s.department_id, d.name "
                       "HAVING SUM(s.bills) > 0 ORDER BY total DESC, s.department_id DESC")
ROOMS = ("SELECT room_type, SUM(patient_id IS NOT NULL), COUNT(*) FROM room GROUP BY room_type "
         "ORDER BY room_type")

# ... and the same figures from the big tables: the baseline the tests and the benchmark compare with.
WEEK_OF = "DATE_SUB(DATE(a.starts_at), INTERVAL WEEKDAY(a.starts_at) DAY)"
BASE_WEEKLY = (f"SELECT {WEEK_OF} AS w, COUNT(*) FROM appointment AS a WHERE a.starts_at >= %s "
               "AND a.starts_at < %s AND a.status <> 'Cancelled' GROUP BY w")
BASE_NO_SHOW = ("SELECT a.status, COUNT(*) FROM appointment AS a WHERE a.starts_at >= %s AND a.starts_at < %s "
                "AND a.status IN ('Completed', 'No-show') GROUP BY a.status")
BASE_DEPARTMENTS = ("SELECT d.name, COUNT(*) AS n FROM appointment AS a JOIN doctor AS doc ON doc.doctor_id = "
                    "a.doctor_id JOIN department AS d ON d.department_id = doc.department_id "
                    "WHERE a.status <> 'Cancelled' GROUP BY d.department_id, d.name "
                    "ORDER BY n DESC, d.department_id DESC LIMIT %s")
BASE_DOCTORS = ("SELECT CONCAT(doc.first_name, ' ', doc.last_name), dep.name, s.n FROM "
                "(SELECT doctor_id, COUNT(*) AS n FROM appointment WHERE status <> 'Cancelled' GROUP BY doctor_id "
                " ORDER BY n DESC, doctor_id DESC LIMIT %s) AS s JOIN doctor AS doc ON doc.doctor_id = s.doctor_id "
                "JOIN department AS dep ON dep.department_id = doc.department_id ORDER BY s.n DESC, s.doctor_id DESC")
MONTH_OF = "DATE_SUB(b.bill_date, INTERVAL DAYOFMONTH(b.bill_date) - 1 DAY)"
BASE_MONTHLY = (f"SELECT {MONTH_OF} AS m, SUM(b.total_amount) FROM billing AS b WHERE b.bill_date >= %s "
                "AND b.bill_date < %s AND b.payment_status <> 'Cancelled' GROUP BY m")
BASE_REVENUE_DEPARTMENTS = (
    "SELECT COALESCE(d.name, %s), SUM(b.total_amount) AS total FROM billing AS b "
    "LEFT JOIN appointment AS a ON a.appointment_id = b.appointment_id "
    "LEFT JOIN doctor AS doc ON doc.doctor_id = a.doctor_id "
    "LEFT JOIN department AS d ON d.department_id = doc.department_id "
    "WHERE b.bill_date >= %s AND b.bill_date < %s AND b.payment_status <> 'Cancelled' "
    "GROUP BY COALESCE(doc.department_id, 0), d.name ORDER BY total DESC, COALESCE(doc.department_id, 0) DESC")


@dataclass
class StockList:
    """One of the pharmacy views, when it exists: how many rows, and the first few."""

    title: str
    view: str
    count: int
    columns: list[str]
    rows: list[tuple]


@dataclass
class Figures:
    visits_per_week: list[tuple[date, int]]
    no_shows: int
    attended: int
    busiest_departments: list[tuple[str, int]]
    busiest_doctors: list[tuple[str, str, int]]
    revenue_per_month: list[tuple[date, Decimal]]
    revenue_per_department: list[tuple[str, Decimal]]
    rooms: list[tuple[str, int, int]]              # room type, occupied, total
    stock: list[StockList] = field(default_factory=list)

    @property
    def no_show_rate(self) -> float | None:
        seen = self.no_shows + self.attended
        return None if not seen else self.no_shows / seen

    @property
    def rooms_occupied(self) -> tuple[int, int]:
        return sum(r[1] for r in self.rooms), sum(r[2] for r in self.rooms)


@dataclass(frozen=True)
class Windows:
    """The date ranges of every figure, from `today`."""

    today: date

    @property
    def this_monday(self) -> date:
        return self.today - timedelta(days=self.today.weekday())

    @property
    def weeks(self) -> list[date]:
        return [self.this_monday - timedelta(weeks=k) for k in range(WEEKS - 1, -1, -1)]

    @property
    def no_show_range(self) -> tuple[date, date]:
        return self.this_monday - timedelta(weeks=NO_SHOW_WEEKS), self.this_monday

    @property
    def months(self) -> list[date]:
        first = self.today.replace(day=1)
        out = []
        year, month = first.year, first.month
        for _ in range(MONTHS):
            out.append(date(year, month, 1))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return out[::-1]

    @property
    def month_end(self) -> date:
        """The first day after this month."""
        first = self.today.replace(day=1)
        return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def figures(conn, today: date | None = None) -> Figures:
    """The dashboard's figures from the summary tables (cheap: what a page view runs)."""
    w = Windows(today or date.today())
    with conn.cursor() as cur:
        weekly = dict(_rows(cur, WEEKLY, (w.weeks[0], w.this_monday)))
        no_show = dict(_rows(cur, NO_SHOW, w.no_show_range))
        departments = _rows(cur, DEPARTMENTS, (TOP,))
        doctors = _rows(cur, DOCTORS, (TOP,))
        monthly = dict(_rows(cur, MONTHLY, (w.months[0], w.months[-1])))
        revenue = _rows(cur, REVENUE_DEPARTMENTS, (NO_DEPARTMENT, w.months[0], w.months[-1]))
        return _figures(w, weekly, no_show, departments, doctors, monthly, revenue, cur)


def baseline_figures(conn, today: date | None = None) -> Figures:
    """The same figures computed from appointment and billing directly (what the summaries save)."""
    w = Windows(today or date.today())
    with conn.cursor() as cur:
        weekly = dict(_rows(cur, BASE_WEEKLY, (w.weeks[0], w.this_monday + timedelta(weeks=1))))
        no_show = dict(_rows(cur, BASE_NO_SHOW, w.no_show_range))
        departments = _rows(cur, BASE_DEPARTMENTS, (TOP,))
        doctors = _rows(cur, BASE_DOCTORS, (TOP,))
        monthly = dict(_rows(cur, BASE_MONTHLY, (w.months[0], w.month_end)))
        revenue = _rows(cur, BASE_REVENUE_DEPARTMENTS, (NO_DEPARTMENT, w.months[0], w.month_end))
        return _figures(w, weekly, no_show, departments, doctors, monthly, revenue, cur)


def rebuild(info: ConnectionInfo, unlogged: bool = False) -> None:
    """Recompute the three dashboard summaries from appointment and billing, in one transaction.

    `hms seed` calls it after the load (its loader skips the triggers); `unlogged`: derived
    from an unlogged load, it stays out of the binary log too.
    """
    with session(info, autocommit=False) as conn:
        with conn.cursor() as cur:
            if unlogged:
                cur.execute("SET SESSION sql_log_bin = 0")
            for statement in REBUILD:
                cur.execute(statement)
        conn.commit()


# The summaries are refreshed on a schedule: the console rebuilds them in the background when
# the last rebuild (dashboard_summary_refresh) is older than this.
REFRESH_MINUTES = 10


def refresh_due(conn, minutes: int = REFRESH_MINUTES) -> bool:
    """True when the summaries were last rebuilt more than `minutes` ago (or never)."""
    with conn.cursor() as cur:
        cur.execute("SELECT refreshed_at < NOW() - INTERVAL %s MINUTE FROM dashboard_summary_refresh "
                    "WHERE id = 1", (minutes,))
        row = cur.fetchone()
    return row is None or bool(row[0])


def refreshed_at(conn):
    """When the summaries were last rebuilt (None: never)."""
    with conn.cursor() as cur:
        cur.execute("SELECT refreshed_at FROM dashboard_summary_refresh WHERE id = 1")
        row = cur.fetchone()
    return row[0] if row else None


def stale_summaries(conn) -> list[str]:
    """The dashboard summaries whose rows differ from what appointment and billing say (empty: all right)."""
    stale = []
    with conn.cursor() as cur:
        for name, (summary_sql, source_sql) in CHECKS.items():
            if _rows(cur, summary_sql, None) != _rows(cur, source_sql, None):
                stale.append(name)
    return stale


def _figures(w: Windows, weekly, no_show, departments, doctors, monthly, revenue, cur) -> Figures:
    return Figures(
        visits_per_week=[(week, int(weekly.get(week, 0))) for week in w.weeks],
        no_shows=int(no_show.get("No-show", 0)), attended=int(no_show.get("Completed", 0)),
        busiest_departments=[(name, int(n)) for name, n in departments],
        busiest_doctors=[(name, department, int(n)) for name, department, n in doctors],
        revenue_per_month=[(month, Decimal(monthly.get(month) or 0)) for month in w.months],
        revenue_per_department=[(name, Decimal(total)) for name, total in revenue],
        rooms=[(kind, int(occupied), int(total)) for kind, occupied, total in _rows(cur, ROOMS, None)],
        stock=_stock(cur))


def _stock(cur) -> list[StockList]:
    """The billing and pharmacy views, where they exist in this database (checked at run time)."""
    names = tuple(STOCK_VIEWS)
    cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME IN (%s, %s)", names)
    present = {row[0] for row in cur.fetchall()}
    found = []
    for view, title in STOCK_VIEWS.items():
        if view not in present:
            continue
        cur.execute(f"SELECT COUNT(*) FROM `{view}`")  # names from STOCK_VIEWS, never from input
        count = int(cur.fetchone()[0])
        cur.execute(f"SELECT * FROM `{view}` LIMIT %s", (STOCK_ROWS,))
        columns = [d[0] for d in cur.description]
        found.append(StockList(title, view, count, columns, list(cur.fetchall())))
    return found


def _rows(cur, sql: str, args) -> list[tuple]:
    cur.execute(sql, args)
    return list(cur.fetchall())
