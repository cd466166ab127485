-- Each doctor's appointments that were not cancelled, all time: the dashboard's busiest doctors
-- are the first rows of idx_doctor_visit_summary_appointments, not a scan of 6M appointments.
-- Refreshed on a schedule with visit_week_summary (V310). No foreign key: a summary never blocks a write.
CREATE TABLE doctor_visit_summary (
    doctor_id    INT UNSIGNED NOT NULL,
    appointments INT          NOT NULL,
    PRIMARY KEY (doctor_id),
    KEY idx_doctor_visit_summary_appointments (appointments, doctor_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO doctor_visit_summary (doctor_id, appointments)
SELECT doctor_id, COUNT(*)
  FROM appointment
 WHERE status <> 'Cancelled'
 GROUP BY doctor_id;
