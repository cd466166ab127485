-- A stock movement is checked before it is written, with its lot locked (FOR UPDATE), so
-- concurrent movements of one lot queue and each sees the quantity the last one left:
-- - who may write it: the routines holding the ticket (routine_ticket_held: stock_receive,
--   stock_transfer, stock_adjust, stock_destroy_expired; hms_admin and hms_dba directly);
--   a Dispense or Return that names a prescription line only within what that line says
--   (dispensed in total no more than it prescribes; returned no further than down to it),
--   which is how the prescription_medication triggers move stock; an Opening only for
--   stock its department row already counts and no lot holds yet;
-- - no lot below zero and nothing dispensed or transferred out of an expired lot.
-- It takes its department and medication from the lot, its balance_after from the lot's
-- quantity, and moved_by from the login.
DROP TRIGGER IF EXISTS trg_stock_ledger_insert;

DELIMITER $$
CREATE TRIGGER trg_stock_ledger_insert
BEFORE INSERT ON stock_ledger
FOR EACH ROW
trg: BEGIN
    DECLARE v_quantity INT;
    DECLARE v_expiry DATE;
    DECLARE v_department SMALLINT UNSIGNED;
    DECLARE v_medication INT UNSIGNED;
    DECLARE v_allowed BOOLEAN DEFAULT FALSE;
    DECLARE v_net INT;
    DECLARE v_prescribed INT;
    DECLARE v_stock INT;
    DECLARE v_lots INT;
    DECLARE v_message VARCHAR(255);

    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    SELECT department_id, medication_id, quantity, expiry_date INTO v_department, v_medication, v_quantity, v_expiry
      FROM stock_lot WHERE lot_id = NEW.lot_id FOR UPDATE;
    IF v_department IS NULL THEN
        SET v_message = CONCAT('No stock lot ', IFNULL(NEW.lot_id, 'NULL'), ': check the lot');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    SET NEW.department_id = v_department, NEW.medication_id = v_medication;

    IF routine_ticket_held() THEN
        SET v_allowed = TRUE;
    ELSEIF NEW.movement IN ('Dispense', 'Return') AND NEW.prescription_id IS NOT NULL THEN
        SELECT COALESCE(-SUM(quantity), 0) - NEW.quantity INTO v_net
          FROM stock_ledger
         WHERE prescription_id = NEW.prescription_id AND medication_id = v_medication
           AND movement IN ('Dispense', 'Return');
        SELECT COALESCE(MAX(quantity), 0) INTO v_prescribed
          FROM prescription_medication
         WHERE prescription_id = NEW.prescription_id AND medication_id = v_medication;
        SET v_allowed = IF(NEW.movement = 'Dispense', v_net <= v_prescribed, v_net >= v_prescribed);
    ELSEIF NEW.movement = 'Opening' THEN
        SELECT stock_quantity INTO v_stock FROM department_medication
         WHERE department_id = v_department AND medication_id = v_medication;
        SELECT COALESCE(SUM(quantity), 0) INTO v_lots FROM stock_lot
         WHERE department_id = v_department AND medication_id = v_medication;
        SET v_allowed = (v_stock = v_lots + NEW.quantity);
    END IF;
    IF NOT v_allowed THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Stock moves through stock_receive, stock_transfer, stock_adjust, stock_destroy_expired and prescriptions only';
    END IF;

    IF NEW.movement IN ('Dispense', 'Transfer out') AND v_expiry < CURDATE() THEN
        SET v_message = CONCAT('Lot ', NEW.lot_id, ' expired on ', v_expiry, ': nothing is dispensed or sent from it');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF v_quantity + NEW.quantity < 0 THEN
        SET v_message = CONCAT('Not enough stock in lot ', NEW.lot_id, ': it holds ', v_quantity, ', ',
                               -NEW.quantity, ' requested');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    SET NEW.balance_after = v_quantity + NEW.quantity, NEW.moved_by = USER();
END$$
DELIMITER ;
