-- What a doctor may prescribe from (issue 17, the doctor role): per department and
-- medication, the usable units (lots that have not expired; a lot with no expiry date
-- counts) and the soonest usable expiry. No prices and nothing to change. SQL SECURITY
-- DEFINER, so the doctor role needs SELECT on this view only, not on stock_lot or
-- department_medication.
CREATE SQL SECURITY DEFINER VIEW medication_availability AS
SELECT dm.department_id,
       d.name AS department,
       dm.medication_id,
       m.name AS medication,
       m.form,
       m.strength,
       COALESCE(SUM(CASE WHEN l.expiry_date IS NULL OR l.expiry_date >= CURDATE() THEN l.quantity END), 0)
           AS usable_quantity,
       MIN(CASE WHEN l.quantity > 0 AND l.expiry_date >= CURDATE() THEN l.expiry_date END) AS next_expiry
  FROM department_medication AS dm
  JOIN department AS d ON d.department_id = dm.department_id
  JOIN medication AS m ON m.medication_id = dm.medication_id
  LEFT JOIN stock_lot AS l ON l.department_id = dm.department_id AND l.medication_id = dm.medication_id
 GROUP BY dm.department_id, d.name, dm.medication_id, m.name, m.form, m.strength;
