-- Total appointments per doctor: every doctor (those with none show 0) with the
-- number of appointments booked with them, any status, in doctor order.
-- Index: an index led by doctor_id (uq_appointment_doctor_slot or
-- idx_appointment_doctor_starts) is read as a covering index, so each doctor's
-- count is one index range and no temporary table is needed.
SELECT d.doctor_id,
       CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
       d.department_id,
       (SELECT COUNT(*) FROM appointment AS a WHERE a.doctor_id = d.doctor_id) AS appointments
  FROM doctor AS d
 ORDER BY d.doctor_id
