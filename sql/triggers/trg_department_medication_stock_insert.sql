-- No negative stock: a department_medication row may not be created below zero.
DROP TRIGGER IF EXISTS trg_department_medication_stock_insert;

DELIMITER $$
CREATE TRIGGER trg_department_medication_stock_insert
BEFORE INSERT ON department_medication
FOR EACH ROW
BEGIN
    DECLARE v_message VARCHAR(255);
    IF NEW.stock_quantity < 0 THEN
        SET v_message = CONCAT('Stock cannot be negative: medication ', NEW.medication_id,
                               ' in department ', NEW.department_id, ' would have ', NEW.stock_quantity);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
