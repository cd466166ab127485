-- A written movement changes its lot to the balance it recorded, and its department's
-- stock_quantity by the same amount (an Opening places stock the department row already
-- counts). The lot and stock triggers check both against the ledger.
DROP TRIGGER IF EXISTS trg_stock_ledger_apply;

DELIMITER $$
CREATE TRIGGER trg_stock_ledger_apply
AFTER INSERT ON stock_ledger
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    UPDATE stock_lot SET quantity = NEW.balance_after WHERE lot_id = NEW.lot_id;
    IF NEW.movement <> 'Opening' THEN
        UPDATE department_medication
           SET stock_quantity = stock_quantity + NEW.quantity
         WHERE department_id = NEW.department_id AND medication_id = NEW.medication_id;
    END IF;
END$$
DELIMITER ;
