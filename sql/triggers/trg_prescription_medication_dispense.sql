-- Stock follows prescriptions: a prescribed quantity is dispensed from the stock of the
-- prescribing doctor's department, first expired first out across its unexpired lots
-- (stock_take_fefo, one Dispense ledger row per lot). Not stocked there, or not enough
-- usable stock: refused, and the insert fails whole. stock_take_fefo locks the stock
-- row first, so concurrent prescriptions of one medication in one department queue
-- instead of taking the same units twice.
-- Bulk load: `hms seed` writes stock levels, lots and a ledger that already account for
-- the prescriptions it loads, so its loader skips this. Only a session holding the
-- secret of the load in progress (@hms_seed_loading, checked by seed_loader_bypass,
-- which accepts nothing outside a load) skips it.
DROP TRIGGER IF EXISTS trg_prescription_medication_dispense;

DELIMITER $$
CREATE TRIGGER trg_prescription_medication_dispense
AFTER INSERT ON prescription_medication
FOR EACH ROW
trg: BEGIN
    DECLARE v_department_id SMALLINT UNSIGNED;

    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    SELECT d.department_id INTO v_department_id
      FROM prescription AS p
      JOIN medical_record AS mr ON mr.record_id = p.record_id
      JOIN doctor AS d ON d.doctor_id = mr.doctor_id
     WHERE p.prescription_id = NEW.prescription_id;
    CALL stock_take_fefo(v_department_id, NEW.medication_id, NEW.quantity, 'Dispense', NEW.prescription_id,
                         'prescription', NULL);
END trg$$
DELIMITER ;
