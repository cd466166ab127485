-- A changed prescribed quantity moves stock: raising it takes the difference out of the
-- prescribing doctor's department's stock (refused, like a new prescription, when not
-- enough is left: the department_medication update trigger says so), lowering it gives
-- the difference back. A row moved to another prescription or medication gives its old
-- quantity back to where it came from and takes the new one where it now belongs.
-- Each change is one UPDATE of the stock row, which locks it, so concurrent changes
-- queue instead of losing one; the UPDATE of prescription_medication itself holds that
-- row's lock, so OLD.quantity is the committed value the difference is taken from.
-- The loader bypass is the insert trigger's (seed_loader_bypass; the loader only inserts).
DROP TRIGGER IF EXISTS trg_prescription_medication_stock_update;

DELIMITER $$
CREATE TRIGGER trg_prescription_medication_stock_update
BEFORE UPDATE ON prescription_medication
FOR EACH ROW
trg: BEGIN
    DECLARE v_old_department SMALLINT UNSIGNED;
    DECLARE v_new_department SMALLINT UNSIGNED;
    DECLARE v_message VARCHAR(255);

    IF NEW.quantity IS NULL OR NEW.quantity <= 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Prescribed quantity must be a positive number';
    END IF;

    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;

    SELECT d.department_id INTO v_new_department
      FROM prescription AS p
      JOIN medical_record AS mr ON mr.record_id = p.record_id
      JOIN doctor AS d ON d.doctor_id = mr.doctor_id
     WHERE p.prescription_id = NEW.prescription_id;

    IF NEW.prescription_id = OLD.prescription_id AND NEW.medication_id = OLD.medication_id THEN
        IF NEW.quantity = OLD.quantity THEN
            LEAVE trg;
        END IF;
        SET v_old_department = v_new_department;
        UPDATE department_medication
           SET stock_quantity = stock_quantity - (NEW.quantity - OLD.quantity)
         WHERE department_id = v_new_department
           AND medication_id = NEW.medication_id;
    ELSE
        SELECT d.department_id INTO v_old_department
          FROM prescription AS p
          JOIN medical_record AS mr ON mr.record_id = p.record_id
          JOIN doctor AS d ON d.doctor_id = mr.doctor_id
         WHERE p.prescription_id = OLD.prescription_id;
        -- Given back first: moving a row within one department never needs more stock than it holds.
        INSERT INTO department_medication (department_id, medication_id, stock_quantity)
        VALUES (v_old_department, OLD.medication_id, OLD.quantity)
        ON DUPLICATE KEY UPDATE stock_quantity = stock_quantity + OLD.quantity;
        UPDATE department_medication
           SET stock_quantity = stock_quantity - NEW.quantity
         WHERE department_id = v_new_department
           AND medication_id = NEW.medication_id;
    END IF;

    IF ROW_COUNT() = 0 THEN
        SET v_message = CONCAT('Medication ', NEW.medication_id, ' is not stocked in department ',
                               IFNULL(v_new_department, '(unknown prescription)'));
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END trg$$
DELIMITER ;
