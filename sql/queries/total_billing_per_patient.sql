-- Total billing amount per patient: each patient with at least one bill, with
-- name, e-mail and phone, the number of bills and the total billed, in patient order.
-- Index: idx_billing_patient_amount (billing(patient_id, total_amount), V106) is a
-- covering index read in patient order, so each patient's sum is one short range
-- scan of that index with no temporary table and no sort; patient is read in
-- PRIMARY KEY order. The indexing study (benchmarks/queries.py) times this against
-- the same query without the index and against patient_billing_summary.
SELECT p.patient_id,
       p.first_name,
       p.last_name,
       p.email,
       p.phone,
       COUNT(*) AS bills,
       SUM(b.total_amount) AS total_billed
  FROM patient AS p
  JOIN billing AS b ON b.patient_id = p.patient_id
 GROUP BY p.patient_id
 ORDER BY p.patient_id
