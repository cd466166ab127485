-- A prescribed quantity must be a positive number (said before the CHECK constraint,
-- in words). The units are dispensed from the department's lots once the row exists
-- (trg_prescription_medication_dispense).
DROP TRIGGER IF EXISTS trg_prescription_medication_stock;

DELIMITER $$
CREATE TRIGGER trg_prescription_medication_stock
BEFORE INSERT ON prescription_medication
FOR EACH ROW
BEGIN
    IF NEW.quantity IS NULL OR NEW.quantity <= 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Prescribed quantity must be a positive number';
    END IF;
END$$
DELIMITER ;
