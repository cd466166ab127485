-- Departments with more than one doctor: each with its doctor count, in name order.
-- Index: idx_doctor_department (doctor.department_id) counts each department's
-- doctors from the index alone.
SELECT dep.department_id,
       dep.name AS department,
       (SELECT COUNT(*) FROM doctor AS d WHERE d.department_id = dep.department_id) AS doctors
  FROM department AS dep
 WHERE (SELECT COUNT(*) FROM doctor AS d WHERE d.department_id = dep.department_id) > 1
 ORDER BY dep.name
