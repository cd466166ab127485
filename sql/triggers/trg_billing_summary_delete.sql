-- A deleted bill leaves its patient's row of patient_billing_summary; the row goes
-- when it was the patient's last bill.
DROP TRIGGER IF EXISTS trg_billing_summary_delete;

DELIMITER $$
CREATE TRIGGER trg_billing_summary_delete
AFTER DELETE ON billing
FOR EACH ROW
BEGIN
    -- Delete before decrementing: a row decremented to 1 would otherwise be deleted too.
    DELETE FROM patient_billing_summary WHERE patient_id = OLD.patient_id AND bills = 1;
    UPDATE patient_billing_summary
       SET bills = bills - 1, total_billed = total_billed - OLD.total_amount
     WHERE patient_id = OLD.patient_id AND bills > 1;
END$$
DELIMITER ;
