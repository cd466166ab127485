-- A bill whose date, appointment, status or amount changes moves in revenue_month_summary.
DROP TRIGGER IF EXISTS trg_revenue_summary_update;

DELIMITER $$
CREATE TRIGGER trg_revenue_summary_update
AFTER UPDATE ON billing
FOR EACH ROW
BEGIN
    IF NEW.bill_date <> OLD.bill_date OR NOT (NEW.appointment_id <=> OLD.appointment_id)
       OR NEW.payment_status <> OLD.payment_status OR NEW.total_amount <> OLD.total_amount THEN
        CALL revenue_summary_add(OLD.bill_date, OLD.appointment_id, OLD.payment_status, OLD.total_amount, -1);
        CALL revenue_summary_add(NEW.bill_date, NEW.appointment_id, NEW.payment_status, NEW.total_amount, 1);
    END IF;
END$$
DELIMITER ;
