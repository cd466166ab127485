-- Doctors by department: each department with its doctors' names and
-- specializations, departments and doctors in name order.
-- Index: idx_doctor_department (doctor.department_id) joins the 15 departments to
-- their doctors; the sort is over 3,000 rows.
SELECT dep.department_id,
       dep.name AS department,
       d.doctor_id,
       CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
       d.specialization
  FROM department AS dep
  JOIN doctor AS d ON d.department_id = dep.department_id
 ORDER BY dep.name, d.last_name, d.first_name, d.doctor_id
