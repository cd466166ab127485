-- A department_medication row created with stock (add_medication_with_stock, or by hand)
-- gets a lot holding it: OPENING, no expiry date recorded, and the Opening ledger row
-- that explains it, so the stock is the sum of its lots from the start.
-- Bulk load: `hms seed` writes lots and ledger itself, so its loader skips this.
DROP TRIGGER IF EXISTS trg_department_medication_opening_lot;

DELIMITER $$
CREATE TRIGGER trg_department_medication_opening_lot
AFTER INSERT ON department_medication
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) OR NEW.stock_quantity = 0 THEN
        LEAVE trg;
    END IF;
    INSERT INTO stock_lot (department_id, medication_id, lot_number, expiry_date, quantity)
    VALUES (NEW.department_id, NEW.medication_id, 'OPENING', NULL, 0);
    INSERT INTO stock_ledger (lot_id, movement, quantity, reason)
    VALUES (LAST_INSERT_ID(), 'Opening', NEW.stock_quantity, 'stock the department row was created with');
END$$
DELIMITER ;
