-- A bill whose amount or patient changes moves its amount in
-- patient_billing_summary: out of the old patient's row (removed when it was that
-- patient's last bill), into the new patient's row.
DROP TRIGGER IF EXISTS trg_billing_summary_update;

DELIMITER $$
CREATE TRIGGER trg_billing_summary_update
AFTER UPDATE ON billing
FOR EACH ROW
BEGIN
    IF NEW.patient_id <> OLD.patient_id THEN
        -- Delete before decrementing: a row decremented to 1 would otherwise be deleted too.
        DELETE FROM patient_billing_summary WHERE patient_id = OLD.patient_id AND bills = 1;
        UPDATE patient_billing_summary
           SET bills = bills - 1, total_billed = total_billed - OLD.total_amount
         WHERE patient_id = OLD.patient_id AND bills > 1;
        INSERT INTO patient_billing_summary (patient_id, bills, total_billed)
        VALUES (NEW.patient_id, 1, NEW.total_amount)
        ON DUPLICATE KEY UPDATE bills = bills + 1, total_billed = total_billed + NEW.total_amount;
    ELSEIF NEW.total_amount <> OLD.total_amount THEN
        UPDATE patient_billing_summary
           SET total_billed = total_billed - OLD.total_amount + NEW.total_amount
         WHERE patient_id = NEW.patient_id;
    END IF;
END$$
DELIMITER ;
