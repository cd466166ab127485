-- waitlist_join(patient, doctor, department, from, to, duration, OUT id): puts a
-- patient on the waitlist for the earliest slot with a doctor, or (doctor NULL) with
-- any doctor of a department, starting in [from, to). SQL SECURITY DEFINER.
DROP PROCEDURE IF EXISTS waitlist_join;

DELIMITER $$
CREATE PROCEDURE waitlist_join(
    IN  p_patient_id    INT UNSIGNED,
    IN  p_doctor_id     INT UNSIGNED,
    IN  p_department_id SMALLINT UNSIGNED,
    IN  p_from          DATETIME,
    IN  p_to            DATETIME,
    IN  p_duration      SMALLINT UNSIGNED,
    OUT p_waitlist_id   INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Put a patient on the waitlist of a doctor or a department'
BEGIN
    IF (p_doctor_id IS NULL) = (p_department_id IS NULL) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'waitlist_join: name a doctor or a department, not both';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from OR p_to <= NOW() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'waitlist_join: the window must end after it starts, in the future';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM patient WHERE patient_id = p_patient_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'waitlist_join: no such patient';
    END IF;
    INSERT INTO waitlist_entry (patient_id, doctor_id, department_id, window_from, window_to, duration_minutes)
    VALUES (p_patient_id, p_doctor_id, p_department_id, p_from, p_to, COALESCE(p_duration, 30));
    SET p_waitlist_id = LAST_INSERT_ID();
END$$
DELIMITER ;
