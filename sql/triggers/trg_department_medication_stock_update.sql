-- On-hand stock is the sum of the department's lots for the medication (each the sum of
-- its stock ledger rows): stock_quantity changes only with a ledger movement
-- (trg_stock_ledger_apply), never by hand, and never below zero.
-- The ledger's movements lock the stock row first, so this holds under concurrency.
DROP TRIGGER IF EXISTS trg_department_medication_stock_update;

DELIMITER $$
CREATE TRIGGER trg_department_medication_stock_update
BEFORE UPDATE ON department_medication
FOR EACH ROW
BEGIN
    DECLARE v_lots INT;
    DECLARE v_message VARCHAR(255);
    IF NEW.stock_quantity < 0 THEN
        SET v_message = CONCAT('Not enough stock: medication ', NEW.medication_id,
                               ' in department ', NEW.department_id, ' has ', OLD.stock_quantity,
                               ' units, ', OLD.stock_quantity - NEW.stock_quantity, ' requested');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF NEW.stock_quantity <> OLD.stock_quantity OR NEW.department_id <> OLD.department_id
       OR NEW.medication_id <> OLD.medication_id THEN
        SELECT COALESCE(SUM(quantity), 0) INTO v_lots FROM stock_lot
         WHERE department_id = NEW.department_id AND medication_id = NEW.medication_id
          LOCK IN SHARE MODE;
        IF v_lots <> NEW.stock_quantity THEN
            SET v_message = CONCAT('Stock of medication ', NEW.medication_id, ' in department ', NEW.department_id,
                                   ' is the sum of its lots (', v_lots, '): move it with stock_receive, ',
                                   'stock_adjust, stock_transfer or a prescription');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
    END IF;
END$$
DELIMITER ;
