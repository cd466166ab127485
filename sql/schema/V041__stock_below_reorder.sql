-- What to reorder: each department's medication whose usable stock (lots that have not
-- expired) is at or below its reorder level, with the quantity to order. Pairs with no
-- reorder level (0) are never listed. For the console and for analysts.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW stock_below_reorder AS
SELECT dm.department_id,
       d.name AS department,
       dm.medication_id,
       m.name AS medication,
       dm.stock_quantity,
       COALESCE(SUM(CASE WHEN l.expiry_date IS NULL OR l.expiry_date >= CURDATE() THEN l.quantity END), 0)
           AS usable_quantity,
       dm.reorder_level,
       dm.reorder_quantity
  FROM department_medication AS dm
  JOIN department AS d ON d.department_id = dm.department_id
  JOIN medication AS m ON m.medication_id = dm.medication_id
  LEFT JOIN stock_lot AS l ON l.department_id = dm.department_id AND l.medication_id = dm.medication_id
 WHERE dm.reorder_level > 0
 GROUP BY dm.department_id, d.name, dm.medication_id, m.name, dm.stock_quantity, dm.reorder_level, dm.reorder_quantity
HAVING usable_quantity <= dm.reorder_level;
