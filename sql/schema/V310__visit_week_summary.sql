-- Appointments per week (starting Monday), department and status, so the console's dashboard
-- draws visits per week, the no-show rate and the busiest departments from a few thousand rows
-- instead of grouping 6M appointments per page view. Refreshed on a schedule, not by triggers:
-- `hms seed` rebuilds it after the load, and the console rebuilds it in the background when
-- the last refresh (dashboard_summary_refresh, V313) is older than ten minutes
-- (hms/dashboard.py rebuild()). Triggers on appointment were tried: on a Galera cluster they
-- made concurrent bookings on the surviving nodes lose every certification (docs/console.md).
-- Department 0 stands for a doctor that does not exist.
CREATE TABLE visit_week_summary (
    week_start    DATE              NOT NULL,
    department_id SMALLINT UNSIGNED NOT NULL,
    status        ENUM('Scheduled', 'Completed', 'Cancelled', 'No-show') NOT NULL,
    appointments  INT               NOT NULL,
    PRIMARY KEY (week_start, department_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO visit_week_summary (week_start, department_id, status, appointments)
SELECT DATE_SUB(DATE(a.starts_at), INTERVAL WEEKDAY(a.starts_at) DAY), COALESCE(d.department_id, 0), a.status,
       COUNT(*)
  FROM appointment AS a
  LEFT JOIN doctor AS d ON d.doctor_id = a.doctor_id
 GROUP BY 1, 2, 3;
