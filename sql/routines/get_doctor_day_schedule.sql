-- get_doctor_day_schedule(doctor_id, day): that doctor's appointments on one day,
-- every status, in time order, each a 30-minute slot, with the patient's name and
-- phone. One range of idx_appointment_doctor_starts (doctor_id, starts_at).
DROP PROCEDURE IF EXISTS get_doctor_day_schedule;

DELIMITER $$
CREATE PROCEDURE get_doctor_day_schedule(IN p_doctor_id INT UNSIGNED, IN p_day DATE)
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'A doctor''s appointments on one day, in time order'
BEGIN
    IF NOT EXISTS (SELECT 1 FROM doctor WHERE doctor_id = p_doctor_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'get_doctor_day_schedule: no such doctor';
    END IF;
    IF p_day IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'get_doctor_day_schedule: give a day';
    END IF;
    SELECT a.appointment_id,
           a.starts_at,
           a.starts_at + INTERVAL 30 MINUTE AS ends_at,
           a.status,
           a.patient_id,
           CONCAT(p.first_name, ' ', p.last_name) AS patient_name,
           p.phone,
           a.reason
      FROM appointment AS a
      JOIN patient AS p ON p.patient_id = a.patient_id
     WHERE a.doctor_id = p_doctor_id
       AND a.starts_at >= p_day
       AND a.starts_at < p_day + INTERVAL 1 DAY
     ORDER BY a.starts_at, a.appointment_id;
END$$
DELIMITER ;
