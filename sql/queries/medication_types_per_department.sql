-- Count of distinct medication types per department: how many different
-- medications each department stocks (departments stocking none show 0), and how
-- many distinct forms (tablet, syrup, ...) they come in.
-- Index: the department_medication PRIMARY KEY (department_id, medication_id)
-- groups by department from the index; medication is read by PRIMARY KEY.
SELECT dep.department_id,
       dep.name AS department,
       COUNT(DISTINCT dm.medication_id) AS medication_types,
       COUNT(DISTINCT m.form) AS forms
  FROM department AS dep
  LEFT JOIN department_medication AS dm ON dm.department_id = dep.department_id
  LEFT JOIN medication AS m ON m.medication_id = dm.medication_id
 GROUP BY dep.department_id, dep.name
 ORDER BY dep.name
