-- A prescribed medication taken off a prescription gives its quantity back to the stock of
-- the prescribing doctor's department: a prescription row stands for units set aside, and
-- deleting it is how a prescription is corrected or withdrawn before it is dispensed. When
-- the department no longer stocks the medication, a stock row is made for what comes back.
-- Foreign-key cascades fire no triggers in MySQL or MariaDB: deleting a prescription,
-- medical record or patient gives nothing back (see docs/database.md).
-- The loader bypass is the insert trigger's (seed_loader_bypass; the loader only inserts).
DROP TRIGGER IF EXISTS trg_prescription_medication_stock_delete;

DELIMITER $$
CREATE TRIGGER trg_prescription_medication_stock_delete
AFTER DELETE ON prescription_medication
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
     WHERE p.prescription_id = OLD.prescription_id;

    IF v_department_id IS NOT NULL THEN
        INSERT INTO department_medication (department_id, medication_id, stock_quantity)
        VALUES (v_department_id, OLD.medication_id, OLD.quantity)
        ON DUPLICATE KEY UPDATE stock_quantity = stock_quantity + OLD.quantity;
    END IF;
END trg$$
DELIMITER ;
