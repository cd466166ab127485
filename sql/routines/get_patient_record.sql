-- get_patient_record(patient_id): a patient's complete record as four result sets,
-- in this order: demographics (with age and room), appointments, medical records
-- with their prescriptions and medications (one row per prescribed medication; a
-- record without prescriptions appears once with NULLs), and bills.
-- Every set is an index range on the patient: idx_appointment_patient_starts,
-- idx_medical_record_patient_date (then idx_prescription_record and the
-- prescription_medication PRIMARY KEY), idx_billing_patient_date.
DROP PROCEDURE IF EXISTS get_patient_record;

DELIMITER $$
CREATE PROCEDURE get_patient_record(IN p_patient_id INT UNSIGNED)
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'A patient''s complete record: demographics, appointments, records with prescriptions, bills'
BEGIN
    IF NOT EXISTS (SELECT 1 FROM patient WHERE patient_id = p_patient_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'get_patient_record: no such patient';
    END IF;

    SELECT p.patient_id, p.first_name, p.last_name, p.date_of_birth,
           TIMESTAMPDIFF(YEAR, p.date_of_birth, CURDATE()) AS age,
           p.gender, p.blood_type, p.phone, p.email, p.address, p.city,
           p.registered_by, p.registered_at, r.room_number
      FROM patient AS p
      LEFT JOIN room AS r ON r.patient_id = p.patient_id
     WHERE p.patient_id = p_patient_id;

    SELECT a.appointment_id, a.starts_at, a.status, a.doctor_id,
           CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
           dep.name AS department, a.reason
      FROM appointment AS a
      JOIN doctor AS d ON d.doctor_id = a.doctor_id
      JOIN department AS dep ON dep.department_id = d.department_id
     WHERE a.patient_id = p_patient_id
     ORDER BY a.starts_at, a.appointment_id;

    SELECT mr.record_id, mr.visit_date, mr.doctor_id,
           CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
           mr.diagnosis, mr.icd10_code, mr.treatment, mr.notes,
           pr.prescription_id, pr.prescribed_at,
           pm.medication_id, m.name AS medication, m.strength,
           pm.dosage, pm.frequency, pm.duration_days, pm.quantity
      FROM medical_record AS mr
      JOIN doctor AS d ON d.doctor_id = mr.doctor_id
      LEFT JOIN prescription AS pr ON pr.record_id = mr.record_id
      LEFT JOIN prescription_medication AS pm ON pm.prescription_id = pr.prescription_id
      LEFT JOIN medication AS m ON m.medication_id = pm.medication_id
     WHERE mr.patient_id = p_patient_id
     ORDER BY mr.visit_date, mr.record_id, pr.prescription_id, pm.medication_id;

    SELECT b.bill_id, b.appointment_id, b.bill_date, b.due_date, b.total_amount,
           b.payment_status, b.payment_method
      FROM billing AS b
     WHERE b.patient_id = p_patient_id
     ORDER BY b.bill_date, b.bill_id;
END$$
DELIMITER ;
