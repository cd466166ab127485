-- revenue_summary_add(bill_date, appointment_id, payment_status, amount, delta): adds `delta`
-- (+1 or -1) bills of `amount` to revenue_month_summary under the department of the
-- appointment's doctor (0 without one, or for a doctor that does not exist). Called only by
-- the billing triggers (trg_revenue_summary_*); revenue_summary_add_to does the counting.
DROP PROCEDURE IF EXISTS revenue_summary_add;

DELIMITER $$
CREATE PROCEDURE revenue_summary_add(IN p_bill_date DATE, IN p_appointment_id INT UNSIGNED,
                                     IN p_payment_status VARCHAR(20), IN p_amount DECIMAL(12,2), IN p_delta INT)
MODIFIES SQL DATA
COMMENT 'Count a bill in (or out of) the dashboard revenue summary'
BEGIN
    CALL revenue_summary_add_to(p_bill_date,
                                COALESCE((SELECT d.department_id
                                            FROM appointment AS a JOIN doctor AS d ON d.doctor_id = a.doctor_id
                                           WHERE a.appointment_id = p_appointment_id), 0),
                                p_payment_status, p_amount, p_delta);
END$$
DELIMITER ;
