-- A deleted bill leaves revenue_month_summary.
DROP TRIGGER IF EXISTS trg_revenue_summary_delete;

DELIMITER $$
CREATE TRIGGER trg_revenue_summary_delete
AFTER DELETE ON billing
FOR EACH ROW
BEGIN
    CALL revenue_summary_add(OLD.bill_date, OLD.appointment_id, OLD.payment_status, OLD.total_amount, -1);
END$$
DELIMITER ;
