-- A payment row is history: it is never updated (a mistake is corrected by a new row).
DROP TRIGGER IF EXISTS trg_payment_no_update;

DELIMITER $$
CREATE TRIGGER trg_payment_no_update
BEFORE UPDATE ON payment
FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Payments are never changed or deleted: record a refund (record_payment) or an adjustment (record_adjustment)';
END$$
DELIMITER ;
