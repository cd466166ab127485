-- walkin_check_in(department, patient, OUT queue number): puts a walk-in patient at the
-- end of the department's queue for today. The number comes from one upsert on the
-- day's walkin_day row (its lock orders concurrent check-ins), and
-- uq_walkin_visit_queue keeps each number once. SQL SECURITY DEFINER.
DROP PROCEDURE IF EXISTS walkin_check_in;

DELIMITER $$
CREATE PROCEDURE walkin_check_in(IN p_department_id SMALLINT UNSIGNED, IN p_patient_id INT UNSIGNED,
                                 OUT p_queue_number INT UNSIGNED)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Check a walk-in patient into today''s department queue'
BEGIN
    DECLARE v_own BOOLEAN DEFAULT @@autocommit = 1;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_own THEN
            ROLLBACK;
        END IF;
        RESIGNAL;
    END;

    IF NOT EXISTS (SELECT 1 FROM department WHERE department_id = p_department_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'walkin_check_in: no such department';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM patient WHERE patient_id = p_patient_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'walkin_check_in: no such patient';
    END IF;
    IF v_own THEN
        START TRANSACTION;
    END IF;
    INSERT INTO walkin_day (department_id, queue_date, last_number)
    VALUES (p_department_id, CURDATE(), LAST_INSERT_ID(1))
    ON DUPLICATE KEY UPDATE last_number = LAST_INSERT_ID(last_number + 1);
    SET p_queue_number = LAST_INSERT_ID();
    INSERT INTO walkin_visit (department_id, queue_date, queue_number, patient_id)
    VALUES (p_department_id, CURDATE(), p_queue_number, p_patient_id);
    IF v_own THEN
        COMMIT;
    END IF;
END$$
DELIMITER ;
