-- A changed prescribed quantity must still be a positive number (said in words, before
-- the CHECK constraint); trg_prescription_medication_restock then moves the stock.
DROP TRIGGER IF EXISTS trg_prescription_medication_stock_update;

DELIMITER $$
CREATE TRIGGER trg_prescription_medication_stock_update
BEFORE UPDATE ON prescription_medication
FOR EACH ROW
BEGIN
    IF NEW.quantity IS NULL OR NEW.quantity <= 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Prescribed quantity must be a positive number';
    END IF;
END$$
DELIMITER ;
