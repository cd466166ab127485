-- revenue_summary_add_to(bill_date, department_id, payment_status, amount, delta): adds `delta`
-- (+1 or -1) bills of `amount` to revenue_month_summary (the month of bill_date, that
-- department); cancelled bills count for nothing. The one place a bill is counted, for
-- revenue_summary_add (billing triggers) and revenue_summary_move (an appointment's doctor changed).
DROP PROCEDURE IF EXISTS revenue_summary_add_to;

DELIMITER $$
CREATE PROCEDURE revenue_summary_add_to(IN p_bill_date DATE, IN p_department_id SMALLINT UNSIGNED,
                                        IN p_payment_status VARCHAR(20), IN p_amount DECIMAL(12,2), IN p_delta INT)
MODIFIES SQL DATA
COMMENT 'Count a bill of one department in (or out of) the dashboard revenue summary'
BEGIN
    IF p_payment_status <> 'Cancelled' THEN
        -- Append-only (V312), as visit_summary_add does.
        INSERT INTO revenue_month_summary (month_start, department_id, bills, revenue)
        VALUES (DATE_SUB(p_bill_date, INTERVAL DAYOFMONTH(p_bill_date) - 1 DAY), p_department_id, p_delta,
                p_delta * p_amount);
    END IF;
END$$
DELIMITER ;
