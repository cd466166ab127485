-- appointment_release(...): deletes the claim rows appointment_claim took for these
-- values, one primary-key row at a time (record locks only, no gap locks that would
-- stall other bookings). Called only by the appointment triggers.
DROP PROCEDURE IF EXISTS appointment_release;

DELIMITER $$
CREATE PROCEDURE appointment_release(
    IN p_appointment_id INT UNSIGNED,
    IN p_doctor_id      INT UNSIGNED,
    IN p_patient_id     INT UNSIGNED,
    IN p_starts_at      DATETIME,
    IN p_duration       SMALLINT UNSIGNED,
    IN p_seat           TINYINT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Give back the claim rows of an appointment that stops being Scheduled or moves'
BEGIN
    DECLARE v_unit DATETIME DEFAULT p_starts_at
        - INTERVAL (MOD(MINUTE(p_starts_at), 15) * 60 + SECOND(p_starts_at)) SECOND;
    DECLARE v_ends DATETIME DEFAULT p_starts_at + INTERVAL p_duration MINUTE;

    WHILE v_unit < v_ends DO
        DELETE FROM appointment_doctor_claim
         WHERE doctor_id = p_doctor_id AND unit_at = v_unit AND seat = p_seat
           AND appointment_id = p_appointment_id;
        DELETE FROM appointment_patient_claim
         WHERE patient_id = p_patient_id AND unit_at = v_unit AND appointment_id = p_appointment_id;
        SET v_unit = v_unit + INTERVAL 15 MINUTE;
    END WHILE;
END$$
DELIMITER ;
