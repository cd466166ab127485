-- get_doctor_appointments(doctor_id): that doctor's appointments ordered by date and
-- time, with the patient's name. Served by idx_appointment_doctor_starts.
DROP PROCEDURE IF EXISTS get_doctor_appointments;

DELIMITER $$
CREATE PROCEDURE get_doctor_appointments(IN p_doctor_id INT UNSIGNED)
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'A doctor''s appointments ordered by date and time'
BEGIN
    IF NOT EXISTS (SELECT 1 FROM doctor WHERE doctor_id = p_doctor_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'get_doctor_appointments: no such doctor';
    END IF;
    SELECT a.appointment_id,
           a.starts_at,
           a.status,
           a.patient_id,
           CONCAT(p.first_name, ' ', p.last_name) AS patient_name,
           a.reason
      FROM appointment AS a
      JOIN patient AS p ON p.patient_id = a.patient_id
     WHERE a.doctor_id = p_doctor_id
     ORDER BY a.starts_at, a.appointment_id;
END$$
DELIMITER ;
