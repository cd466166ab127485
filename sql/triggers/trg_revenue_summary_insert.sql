-- A new bill counts in revenue_month_summary (the dashboard's revenue charts).
-- Bulk load: `hms seed` rebuilds it after loading, so its loader skips this.
DROP TRIGGER IF EXISTS trg_revenue_summary_insert;

DELIMITER $$
CREATE TRIGGER trg_revenue_summary_insert
AFTER INSERT ON billing
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    CALL revenue_summary_add(NEW.bill_date, NEW.appointment_id, NEW.payment_status, NEW.total_amount, 1);
END$$
DELIMITER ;
