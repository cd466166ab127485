-- Stock follows prescriptions: a prescribed quantity is taken out of the stock of the
-- prescribing doctor's department. Not stocked there: refused. Not enough: the
-- department_medication update trigger refuses. Either way the insert fails whole.
-- The UPDATE locks the stock row, so concurrent prescriptions queue instead of
-- losing a decrement.
-- Bulk load: `hms seed` writes stock levels that already account for the
-- prescriptions it loads, so its loader skips the per-row decrement. Only a session
-- holding the secret of the load in progress (@hms_seed_loading, checked by
-- seed_loader_bypass, which accepts nothing outside a load) skips it.
DROP TRIGGER IF EXISTS trg_prescription_medication_stock;

DELIMITER $$
CREATE TRIGGER trg_prescription_medication_stock
BEFORE INSERT ON prescription_medication
FOR EACH ROW
trg: BEGIN
    DECLARE v_department_id SMALLINT UNSIGNED;
    DECLARE v_message VARCHAR(255);

    IF NEW.quantity IS NULL OR NEW.quantity <= 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Prescribed quantity must be a positive number';
    END IF;

    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;

    SELECT d.department_id INTO v_department_id
      FROM prescription AS p
      JOIN medical_record AS mr ON mr.record_id = p.record_id
      JOIN doctor AS d ON d.doctor_id = mr.doctor_id
     WHERE p.prescription_id = NEW.prescription_id;

    UPDATE department_medication
       SET stock_quantity = stock_quantity - NEW.quantity
     WHERE department_id = v_department_id
       AND medication_id = NEW.medication_id;

    IF ROW_COUNT() = 0 THEN
        SET v_message = CONCAT('Medication ', NEW.medication_id, ' is not stocked in department ',
                               IFNULL(v_department_id, '(unknown prescription)'));
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END trg$$
DELIMITER ;
