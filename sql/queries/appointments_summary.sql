-- All appointments summary: every appointment with the patient's and the doctor's
-- full names, its date and time, and its status, in patient order.
-- Index: idx_appointment_patient_cover (appointment(patient_id, starts_at,
-- doctor_id, status), V109). The plan reads that covering index from end to end
-- (never an appointment row) in patient order, so the PRIMARY KEY lookups into
-- patient arrive in key order and hit cached pages; doctor (3,000 rows) stays
-- cached; no sort. STRAIGHT_JOIN keeps appointment first: left alone, the optimizer
-- drives from doctor and reads every appointment row at random (3x slower at 6M
-- rows). Whatever the plan, all 6M rows are returned: what remains is streaming
-- them and one PRIMARY KEY lookup per row into patient and doctor
-- (benchmarks/RESULTS.md).
SELECT a.patient_id,
       a.appointment_id,
       CONCAT(p.first_name, ' ', p.last_name) AS patient_name,
       CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
       a.starts_at,
       a.status
  FROM appointment AS a
  STRAIGHT_JOIN patient AS p ON p.patient_id = a.patient_id
  STRAIGHT_JOIN doctor AS d ON d.doctor_id = a.doctor_id
 ORDER BY a.patient_id
