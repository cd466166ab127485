-- Average monthly use of each medication in each department: units dispensed (less
-- units returned) over the last 12 months of the stock ledger, divided by 12, with the
-- last 30 days beside it. Served by idx_stock_ledger_stock_moved.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW medication_monthly_use AS
SELECT s.department_id, d.name AS department, s.medication_id, m.name AS medication,
       -SUM(s.quantity) AS units_last_12_months,
       ROUND(-SUM(s.quantity) / 12, 1) AS average_monthly_use,
       -SUM(CASE WHEN s.moved_at >= CURDATE() - INTERVAL 30 DAY THEN s.quantity ELSE 0 END) AS units_last_30_days
  FROM stock_ledger AS s
  JOIN department AS d ON d.department_id = s.department_id
  JOIN medication AS m ON m.medication_id = s.medication_id
 WHERE s.movement IN ('Dispense', 'Return')
   AND s.moved_at >= CURDATE() - INTERVAL 12 MONTH
 GROUP BY s.department_id, d.name, s.medication_id, m.name;
