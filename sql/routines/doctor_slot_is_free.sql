-- doctor_slot_is_free(doctor_id, starts_at): TRUE when no appointment that is not
-- Cancelled holds that doctor at that start time. The conflict check a booking
-- screen shows before booking; one lookup in uq_appointment_doctor_slot
-- (doctor_id, active_slot). It only informs: book_appointment relies on that
-- UNIQUE key, so two clients racing for a slot that looked free cannot both win.
DROP FUNCTION IF EXISTS doctor_slot_is_free;

DELIMITER $$
CREATE FUNCTION doctor_slot_is_free(p_doctor_id INT UNSIGNED, p_starts_at DATETIME)
RETURNS BOOLEAN
NOT DETERMINISTIC
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'TRUE when the doctor holds no active appointment at that start time'
BEGIN
    RETURN NOT EXISTS (SELECT 1 FROM appointment
                        WHERE doctor_id = p_doctor_id AND active_slot = p_starts_at);
END$$
DELIMITER ;
