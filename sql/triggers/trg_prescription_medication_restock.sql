-- A changed prescription line moves stock: raising its quantity dispenses the difference
-- (first expired first out; refused, like a new prescription, when the usable stock is
-- short), lowering it returns the difference to the lots it came from. A line moved to
-- another prescription or medication returns all it had dispensed and dispenses anew
-- where it now belongs. Every move locks the stock row first (stock_take_fefo,
-- stock_return_prescription), so concurrent changes queue instead of losing one.
-- The loader bypass is the dispense trigger's (seed_loader_bypass; the loader only inserts).
DROP TRIGGER IF EXISTS trg_prescription_medication_restock;

DELIMITER $$
CREATE TRIGGER trg_prescription_medication_restock
AFTER UPDATE ON prescription_medication
FOR EACH ROW
trg: BEGIN
    DECLARE v_department_id SMALLINT UNSIGNED;

    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    IF NEW.prescription_id = OLD.prescription_id AND NEW.medication_id = OLD.medication_id
       AND NEW.quantity < OLD.quantity THEN
        CALL stock_return_prescription(OLD.prescription_id, OLD.medication_id, OLD.quantity - NEW.quantity);
        LEAVE trg;
    END IF;
    IF NEW.prescription_id = OLD.prescription_id AND NEW.medication_id = OLD.medication_id
       AND NEW.quantity = OLD.quantity THEN
        LEAVE trg;
    END IF;
    SELECT d.department_id INTO v_department_id
      FROM prescription AS p
      JOIN medical_record AS mr ON mr.record_id = p.record_id
      JOIN doctor AS d ON d.doctor_id = mr.doctor_id
     WHERE p.prescription_id = NEW.prescription_id;
    IF NEW.prescription_id = OLD.prescription_id AND NEW.medication_id = OLD.medication_id THEN
        CALL stock_take_fefo(v_department_id, NEW.medication_id, NEW.quantity - OLD.quantity, 'Dispense',
                             NEW.prescription_id, 'prescription raised', NULL);
    ELSE
        CALL stock_return_prescription(OLD.prescription_id, OLD.medication_id, OLD.quantity);
        CALL stock_take_fefo(v_department_id, NEW.medication_id, NEW.quantity, 'Dispense',
                             NEW.prescription_id, 'prescription', NULL);
    END IF;
END trg$$
DELIMITER ;
