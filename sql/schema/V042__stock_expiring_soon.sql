-- Lots with units on hand that expire within 30 days (today included), soonest first.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW stock_expiring_soon AS
SELECT l.lot_id, l.department_id, d.name AS department, l.medication_id, m.name AS medication,
       l.lot_number, l.expiry_date, l.quantity, DATEDIFF(l.expiry_date, CURDATE()) AS days_left
  FROM stock_lot AS l
  JOIN department AS d ON d.department_id = l.department_id
  JOIN medication AS m ON m.medication_id = l.medication_id
 WHERE l.quantity > 0
   AND l.expiry_date BETWEEN CURDATE() AND CURDATE() + INTERVAL 30 DAY;
