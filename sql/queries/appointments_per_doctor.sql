-- Total appointments per doctor: every doctor (those with none show 0) with the
-- number of appointments booked with them, any status, in doctor order.
-- Index: idx_appointment_doctor_starts (doctor_id, starts_at) is read as a
-- covering index in doctor order, so each count is one index range and no
-- temporary table is needed.
SELECT d.doctor_id,
       CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
       d.department_id,
       (SELECT COUNT(*) FROM appointment AS a WHERE a.doctor_id = d.doctor_id) AS appointments
  FROM doctor AS d
 ORDER BY d.doctor_id
