-- Patients who visited cardiologists: every patient with at least one Completed
-- appointment with a doctor of the Cardiology department, in patient order.
-- Index: uq_department_name finds Cardiology, idx_doctor_department its doctors,
-- and an index led by doctor_id (uq_appointment_doctor_slot or
-- idx_appointment_doctor_starts) their appointments, each row read for its status;
-- the semi-join then reads each patient once by PRIMARY KEY.
SELECT p.patient_id,
       p.first_name,
       p.last_name,
       p.phone,
       p.email
  FROM patient AS p
 WHERE p.patient_id IN (
        SELECT a.patient_id
          FROM appointment AS a
          JOIN doctor AS d ON d.doctor_id = a.doctor_id
          JOIN department AS dep ON dep.department_id = d.department_id
         WHERE dep.name = 'Cardiology'
           AND a.status = 'Completed')
 ORDER BY p.patient_id
