-- All appointments summary: every appointment with the patient's and the doctor's
-- full names, its date and time, and its status, in appointment order.
-- Index: none can help, and none is needed. Every row is returned, so the plan is a
-- full scan of appointment in primary-key order with one PRIMARY KEY (eq_ref) lookup
-- each into patient and doctor; the original study's appointment(patient_id,
-- doctor_id) (V105) is never chosen. The cost is streaming 6M rows to the client
-- (see benchmarks/RESULTS.md).
SELECT a.appointment_id,
       CONCAT(p.first_name, ' ', p.last_name) AS patient_name,
       CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
       a.starts_at,
       a.status
  FROM appointment AS a
  JOIN patient AS p ON p.patient_id = a.patient_id
  JOIN doctor AS d ON d.doctor_id = a.doctor_id
 ORDER BY a.appointment_id
