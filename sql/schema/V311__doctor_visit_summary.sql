-- Each doctor's appointments that were not cancelled, all time, kept current by the
-- appointment triggers (trg_visit_summary_*): the dashboard's busiest doctors add up one row per
-- doctor (a few thousand rows), not a scan of 6M appointments. Append-only, like
-- visit_week_summary: each change adds a +1/-1 row, folded now and then.
-- Rebuilt after `hms seed` like visit_week_summary. No foreign key: a summary never blocks a write.
CREATE TABLE doctor_visit_summary (
    delta_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    doctor_id    INT UNSIGNED    NOT NULL,
    appointments INT             NOT NULL,
    PRIMARY KEY (delta_id),
    KEY idx_doctor_visit_summary_doctor (doctor_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO doctor_visit_summary (doctor_id, appointments)
SELECT doctor_id, COUNT(*)
  FROM appointment
 WHERE status <> 'Cancelled'
 GROUP BY doctor_id;
