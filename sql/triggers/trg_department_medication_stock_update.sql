-- No negative stock: an update (a prescription included) may not take stock below zero.
-- The row lock the UPDATE holds makes this hold under concurrency.
DROP TRIGGER IF EXISTS trg_department_medication_stock_update;

DELIMITER $$
CREATE TRIGGER trg_department_medication_stock_update
BEFORE UPDATE ON department_medication
FOR EACH ROW
BEGIN
    DECLARE v_message VARCHAR(255);
    IF NEW.stock_quantity < 0 THEN
        SET v_message = CONCAT('Not enough stock: medication ', NEW.medication_id,
                               ' in department ', NEW.department_id, ' has ', OLD.stock_quantity,
                               ' units, ', OLD.stock_quantity - NEW.stock_quantity, ' requested');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
