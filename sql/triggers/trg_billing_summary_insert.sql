-- A new bill adds to its patient's row of patient_billing_summary, creating it for
-- the patient's first bill. The upsert locks that one row, so concurrent bills of
-- the same patient queue instead of losing an addition.
-- Bulk load: `hms seed` rebuilds the whole summary in one statement after loading
-- the bills, so its loader (a session holding the load's secret, as for
-- trg_prescription_medication_stock) skips this.
DROP TRIGGER IF EXISTS trg_billing_summary_insert;

DELIMITER $$
CREATE TRIGGER trg_billing_summary_insert
AFTER INSERT ON billing
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    INSERT INTO patient_billing_summary (patient_id, bills, total_billed)
    VALUES (NEW.patient_id, 1, NEW.total_amount)
    ON DUPLICATE KEY UPDATE bills = bills + 1, total_billed = total_billed + NEW.total_amount;
END$$
DELIMITER ;
