-- A stock ledger row is history: it is never updated (a mistake is corrected by a new row).
DROP TRIGGER IF EXISTS trg_stock_ledger_no_update;

DELIMITER $$
CREATE TRIGGER trg_stock_ledger_no_update
BEFORE UPDATE ON stock_ledger
FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Stock ledger rows are never changed or deleted: record a correcting movement (stock_adjust)';
END$$
DELIMITER ;
