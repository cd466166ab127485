-- Lots that have expired and still hold units: to be destroyed (stock_destroy_expired).
-- Dispensing never takes from them.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW stock_expired AS
SELECT l.lot_id, l.department_id, d.name AS department, l.medication_id, m.name AS medication,
       l.lot_number, l.expiry_date, l.quantity, DATEDIFF(CURDATE(), l.expiry_date) AS days_expired
  FROM stock_lot AS l
  JOIN department AS d ON d.department_id = l.department_id
  JOIN medication AS m ON m.medication_id = l.medication_id
 WHERE l.quantity > 0
   AND l.expiry_date < CURDATE();
