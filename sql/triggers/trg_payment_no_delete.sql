-- A payment row is history: it is never deleted (a mistake is corrected by a refund or an
-- adjustment). Only a session holding the routine ticket may, and no routine deletes: that is
-- hms_admin or hms_dba creating the ticket by hand (benchmarks/oltp_billing.py cleans up its
-- own bills so), deliberately.
DROP TRIGGER IF EXISTS trg_payment_no_delete;

DELIMITER $$
CREATE TRIGGER trg_payment_no_delete
BEFORE DELETE ON payment
FOR EACH ROW
BEGIN
    IF NOT routine_ticket_held() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Payments are never changed or deleted: record a refund (record_payment) or an adjustment (record_adjustment)';
    END IF;
END$$
DELIMITER ;
