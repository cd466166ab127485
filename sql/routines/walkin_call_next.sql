-- walkin_call_next(department, OUT walkin id, OUT patient, OUT queue number): calls the
-- lowest-numbered Waiting walk-in of the department's queue today (NULLs when none).
-- FOR UPDATE SKIP LOCKED: two desks calling at once call two different patients.
DROP PROCEDURE IF EXISTS walkin_call_next;

DELIMITER $$
CREATE PROCEDURE walkin_call_next(IN p_department_id SMALLINT UNSIGNED, OUT p_walkin_id INT UNSIGNED,
                                  OUT p_patient_id INT UNSIGNED, OUT p_queue_number INT UNSIGNED)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Call the next waiting walk-in patient of a department'
BEGIN
    DECLARE v_own BOOLEAN DEFAULT @@autocommit = 1;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_own THEN
            ROLLBACK;
        END IF;
        RESIGNAL;
    END;

    SET p_walkin_id = NULL, p_patient_id = NULL, p_queue_number = NULL;
    IF v_own THEN
        START TRANSACTION;
    END IF;
    SELECT walkin_id, patient_id, queue_number INTO p_walkin_id, p_patient_id, p_queue_number
      FROM walkin_visit
     WHERE department_id = p_department_id AND queue_date = CURDATE() AND status = 'Waiting'
     ORDER BY queue_number
     LIMIT 1
       FOR UPDATE SKIP LOCKED;
    IF p_walkin_id IS NOT NULL THEN
        UPDATE walkin_visit SET status = 'Called', called_at = NOW() WHERE walkin_id = p_walkin_id;
    END IF;
    IF v_own THEN
        COMMIT;
    END IF;
END$$
DELIMITER ;
