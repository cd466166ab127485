-- A lot holds what its ledger says: its quantity may change only to the balance of its
-- latest stock_ledger row (which trg_stock_ledger_apply writes), and it stays with its
-- department and medication.
DROP TRIGGER IF EXISTS trg_stock_lot_update;

DELIMITER $$
CREATE TRIGGER trg_stock_lot_update
BEFORE UPDATE ON stock_lot
FOR EACH ROW
trg: BEGIN
    DECLARE v_balance INT;
    DECLARE v_message VARCHAR(255);
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    IF NEW.department_id <> OLD.department_id OR NEW.medication_id <> OLD.medication_id OR NEW.lot_id <> OLD.lot_id THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'A lot stays in its department: move its units with stock_transfer';
    END IF;
    IF NEW.quantity <> OLD.quantity THEN
        SELECT balance_after INTO v_balance FROM stock_ledger
         WHERE lot_id = NEW.lot_id ORDER BY entry_id DESC LIMIT 1;
        IF NOT (v_balance <=> NEW.quantity) THEN
            SET v_message = CONCAT('Lot ', NEW.lot_id, ' holds what its ledger says (', IFNULL(v_balance, 0),
                                   '): move stock with stock_receive, stock_adjust or stock_transfer');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
    END IF;
END$$
DELIMITER ;
