-- All appointments summary: every appointment with the patient's and the doctor's
-- full names, its date and time, and its status, in patient order.
-- Index: idx_appointment_patient_cover (appointment(patient_id, starts_at,
-- doctor_id, status), V109). The plan reads patient in PRIMARY KEY order and, for
-- each patient, that covering index, which is in the same order: a merge with no
-- random lookups and no sort; doctor (3,000 rows) stays cached. STRAIGHT_JOIN
-- keeps that order: left alone, the optimizer drives from doctor and looks up
-- every appointment row at random (4x slower at 6M rows; benchmarks/RESULTS.md).
-- Whatever the plan, every row is returned: no index makes streaming 6M rows cheaper.
SELECT p.patient_id,
       a.appointment_id,
       CONCAT(p.first_name, ' ', p.last_name) AS patient_name,
       CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
       a.starts_at,
       a.status
  FROM patient AS p
  STRAIGHT_JOIN appointment AS a ON a.patient_id = p.patient_id
  STRAIGHT_JOIN doctor AS d ON d.doctor_id = a.doctor_id
 ORDER BY p.patient_id
