-- Appointments per week (starting Monday), department and status, kept current by the
-- appointment triggers (trg_visit_summary_insert / _update / _delete), so the console's
-- dashboard draws visits per week, the no-show rate and the busiest departments from a few
-- thousand rows instead of grouping 6M appointments per page view. `hms seed`, whose
-- loader skips the triggers, rebuilds it after the load (hms/dashboard.py, rebuild()). A doctor moved to another
-- department keeps past appointments where they were until such a rebuild (`hms seed verify` says when).
-- Counts are signed and department 0 stands for a doctor that does not exist, so the summary
-- never blocks a write; `hms seed verify` and the tests compare it with appointment.
-- Append-only: every change adds a row of +1/-1 (no counter row is updated), so concurrent
-- bookings never wait on each other here and Galera nodes never fail certification over a
-- shared counter or a gap lock; readers add the rows up (SUM ... GROUP BY), and
-- hms/dashboard.py fold() adds them up in place now and then (the console folds past 50,000).
CREATE TABLE visit_week_summary (
    delta_id      BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
    week_start    DATE              NOT NULL,
    department_id SMALLINT UNSIGNED NOT NULL,
    status        ENUM('Scheduled', 'Completed', 'Cancelled', 'No-show') NOT NULL,
    appointments  INT               NOT NULL,
    PRIMARY KEY (delta_id),
    KEY idx_visit_week_summary_week (week_start, department_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO visit_week_summary (week_start, department_id, status, appointments)
SELECT DATE_SUB(DATE(a.starts_at), INTERVAL WEEKDAY(a.starts_at) DAY), COALESCE(d.department_id, 0), a.status,
       COUNT(*)
  FROM appointment AS a
  LEFT JOIN doctor AS d ON d.doctor_id = a.doctor_id
 GROUP BY 1, 2, 3;
