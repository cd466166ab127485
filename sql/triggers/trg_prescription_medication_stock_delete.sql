-- A prescribed medication taken off a prescription gives back what it dispensed, into the
-- lots it came from (stock_return_prescription): deleting a prescription row is how a
-- prescription is corrected or withdrawn. Units dispensed before the ledger existed (the
-- seeded history) have no lot to go back to.
-- Foreign-key cascades fire no triggers in MySQL or MariaDB: deleting a prescription,
-- medical record or patient gives nothing back (see docs/database.md).
-- The loader bypass is the dispense trigger's (seed_loader_bypass; the loader only inserts).
DROP TRIGGER IF EXISTS trg_prescription_medication_stock_delete;

DELIMITER $$
CREATE TRIGGER trg_prescription_medication_stock_delete
AFTER DELETE ON prescription_medication
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    CALL stock_return_prescription(OLD.prescription_id, OLD.medication_id, OLD.quantity);
END trg$$
DELIMITER ;
