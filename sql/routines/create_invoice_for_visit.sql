-- create_invoice_for_visit(appointment_id, OUT bill_id): the invoice of a visit, built
-- from what it recorded, in one transaction: a completed visit is billed its department's
-- consultation and every medication prescribed in its medical record (all dispensed when
-- prescribed), at the catalogue's prices on the visit's day (a medication without a
-- catalogue price at its unit_price); a no-show is billed the no-show fee. Calling it
-- again returns the invoice it made: the appointment row is locked first, so two calls
-- for one visit queue and the second finds the first one's bill. Scheduled and cancelled
-- visits are refused, as is a visit whose charge has no price on its day.
-- Like any START TRANSACTION, calling it commits the caller's open transaction.
-- SQL SECURITY DEFINER: the front desk (hms_receptionist) invoices a visit without reading
-- its medical record or writing billing rows itself; it writes only this visit's invoice.
DROP PROCEDURE IF EXISTS create_invoice_for_visit;

DELIMITER $$
CREATE PROCEDURE create_invoice_for_visit(
    IN  p_appointment_id INT UNSIGNED,
    OUT p_bill_id        INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'The invoice of a completed visit or a no-show, made once'
proc: BEGIN
    DECLARE v_patient INT UNSIGNED;
    DECLARE v_doctor INT UNSIGNED;
    DECLARE v_status VARCHAR(20);
    DECLARE v_day DATE;
    DECLARE v_department SMALLINT UNSIGNED;
    DECLARE v_charge INT UNSIGNED;
    DECLARE v_name VARCHAR(150);
    DECLARE v_price DECIMAL(10,2);
    DECLARE v_tax DECIMAL(5,2);
    DECLARE v_message VARCHAR(255);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    SET p_bill_id = NULL;
    START TRANSACTION;
    SELECT patient_id, doctor_id, status, DATE(starts_at) INTO v_patient, v_doctor, v_status, v_day
      FROM appointment WHERE appointment_id = p_appointment_id FOR UPDATE;
    IF v_patient IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'create_invoice_for_visit: no such appointment';
    END IF;
    -- A plain read, taken after the appointment's lock (its snapshot starts here), sees the bill
    -- a previous call committed before releasing that lock; FOR UPDATE would add gap locks on
    -- idx_billing_appointment that deadlock concurrent invoices of neighbouring visits.
    SELECT bill_id INTO p_bill_id FROM billing
     WHERE appointment_id = p_appointment_id ORDER BY bill_id LIMIT 1;
    IF p_bill_id IS NOT NULL THEN
        COMMIT;
        LEAVE proc;
    END IF;
    IF v_status NOT IN ('Completed', 'No-show') THEN
        SET v_message = CONCAT('create_invoice_for_visit: appointment ', p_appointment_id, ' is ', v_status,
                               ': only a completed visit or a no-show is billed');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    SELECT department_id INTO v_department FROM doctor WHERE doctor_id = v_doctor;

    SELECT c.charge_id, c.name, p.unit_price, p.tax_percent INTO v_charge, v_name, v_price, v_tax
      FROM charge_item AS c
      JOIN charge_price AS p ON p.charge_id = c.charge_id
     WHERE c.kind = IF(v_status = 'Completed', 'Consultation', 'No-show fee')
       AND (c.department_id = v_department OR (c.department_id IS NULL AND v_status = 'No-show'))
       AND p.valid_from <= v_day
     ORDER BY c.department_id IS NULL, p.valid_from DESC
     LIMIT 1;
    IF v_charge IS NULL THEN
        SET v_message = CONCAT('create_invoice_for_visit: no ', IF(v_status = 'Completed', 'consultation', 'no-show fee'),
                               ' price for department ', v_department, ' on ', v_day,
                               ': add one to charge_item and charge_price');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    INSERT INTO billing (patient_id, appointment_id, total_amount, bill_date, due_date, payment_status)
    VALUES (v_patient, p_appointment_id, 0, CURDATE(), CURDATE() + INTERVAL 30 DAY, 'Pending');
    SET p_bill_id = LAST_INSERT_ID();
    INSERT INTO invoice_line (bill_id, charge_id, description, quantity, unit_price, tax_percent)
    VALUES (p_bill_id, v_charge, v_name, 1, v_price, v_tax);

    IF v_status = 'Completed' THEN
        INSERT INTO invoice_line (bill_id, charge_id, medication_id, prescription_id, description, quantity,
                                  unit_price, tax_percent)
        SELECT p_bill_id, c.charge_id, pm.medication_id, pm.prescription_id, m.name, pm.quantity,
               COALESCE((SELECT cp.unit_price FROM charge_price AS cp
                          WHERE cp.charge_id = c.charge_id AND cp.valid_from <= v_day
                          ORDER BY cp.valid_from DESC LIMIT 1), m.unit_price),
               COALESCE((SELECT cp.tax_percent FROM charge_price AS cp
                          WHERE cp.charge_id = c.charge_id AND cp.valid_from <= v_day
                          ORDER BY cp.valid_from DESC LIMIT 1), 0)
          FROM medical_record AS mr
          JOIN prescription AS pr ON pr.record_id = mr.record_id
          JOIN prescription_medication AS pm ON pm.prescription_id = pr.prescription_id
          JOIN medication AS m ON m.medication_id = pm.medication_id
          LEFT JOIN charge_item AS c ON c.medication_id = pm.medication_id
         WHERE mr.appointment_id = p_appointment_id
         ORDER BY pm.prescription_id, pm.medication_id;
    END IF;
    COMMIT;
END$$
DELIMITER ;
