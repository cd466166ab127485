-- revenue_summary_add(bill_date, appointment_id, payment_status, amount, delta): adds `delta`
-- (+1 or -1) bills of `amount` to revenue_month_summary (the month of bill_date, the
-- department of the appointment's doctor, 0 without one); cancelled bills count for nothing.
-- Called only by the billing triggers (trg_revenue_summary_*).
DROP PROCEDURE IF EXISTS revenue_summary_add;

DELIMITER $$
CREATE PROCEDURE revenue_summary_add(IN p_bill_date DATE, IN p_appointment_id INT UNSIGNED,
                                     IN p_payment_status VARCHAR(20), IN p_amount DECIMAL(12,2), IN p_delta INT)
MODIFIES SQL DATA
COMMENT 'Count a bill in (or out of) the dashboard revenue summary'
BEGIN
    DECLARE v_department SMALLINT UNSIGNED;
    IF p_payment_status <> 'Cancelled' THEN
        SET v_department = COALESCE((SELECT d.department_id
                                       FROM appointment AS a JOIN doctor AS d ON d.doctor_id = a.doctor_id
                                      WHERE a.appointment_id = p_appointment_id), 0);
        INSERT INTO revenue_month_summary (month_start, department_id, bills, revenue)
        VALUES (DATE_SUB(p_bill_date, INTERVAL DAYOFMONTH(p_bill_date) - 1 DAY), v_department, p_delta,
                p_delta * p_amount)
        ON DUPLICATE KEY UPDATE bills = bills + p_delta, revenue = revenue + p_delta * p_amount;
    END IF;
END$$
DELIMITER ;
