-- revenue_summary_move(appointment_id, old_doctor_id, new_doctor_id): an appointment moved to
-- another doctor takes its bills' revenue from the old doctor's department to the new one's
-- in revenue_month_summary. Called only by trg_visit_summary_update. An appointment has
-- a bill or two, so the loop is short.
DROP PROCEDURE IF EXISTS revenue_summary_move;

DELIMITER $$
CREATE PROCEDURE revenue_summary_move(IN p_appointment_id INT UNSIGNED, IN p_old_doctor_id INT UNSIGNED,
                                      IN p_new_doctor_id INT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'Move an appointment''s bills between departments in the dashboard revenue summary'
BEGIN
    DECLARE v_old SMALLINT UNSIGNED;
    DECLARE v_new SMALLINT UNSIGNED;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_date DATE;
    DECLARE v_status VARCHAR(20);
    DECLARE v_amount DECIMAL(12,2);
    DECLARE v_bills CURSOR FOR
        SELECT bill_date, payment_status, total_amount FROM billing WHERE appointment_id = p_appointment_id;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    SET v_old = COALESCE((SELECT department_id FROM doctor WHERE doctor_id = p_old_doctor_id), 0);
    SET v_new = COALESCE((SELECT department_id FROM doctor WHERE doctor_id = p_new_doctor_id), 0);
    IF v_old <> v_new THEN
        OPEN v_bills;
        bills: LOOP
            FETCH v_bills INTO v_date, v_status, v_amount;
            IF v_done THEN
                LEAVE bills;
            END IF;
            CALL revenue_summary_add_to(v_date, v_old, v_status, v_amount, -1);
            CALL revenue_summary_add_to(v_date, v_new, v_status, v_amount, 1);
        END LOOP;
        CLOSE v_bills;
    END IF;
END$$
DELIMITER ;
