-- Each doctor's appointments that were not cancelled, all time, kept current by the
-- appointment triggers (trg_visit_summary_*): the dashboard's busiest doctors add up one row per
-- doctor and server (a few thousand rows), not a scan of 6M appointments. Keyed also by the
-- @@server_id that counted, like visit_week_summary, so Galera nodes never share a counter row.
-- Rebuilt after `hms seed` like visit_week_summary. No foreign key: a summary never blocks a write.
CREATE TABLE doctor_visit_summary (
    doctor_id    INT UNSIGNED NOT NULL,
    server_id    INT UNSIGNED NOT NULL,
    appointments INT          NOT NULL,
    PRIMARY KEY (doctor_id, server_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO doctor_visit_summary (doctor_id, server_id, appointments)
SELECT doctor_id, @@server_id, COUNT(*)
  FROM appointment
 WHERE status <> 'Cancelled'
 GROUP BY doctor_id;
