-- Total billing amount per patient: each patient with at least one bill, with
-- name, e-mail and phone, the number of bills and the total billed, in patient order.
-- Index: idx_billing_patient_amount (billing(patient_id, total_amount), V106) is a
-- covering index read in patient order, so the sums are computed from the index
-- alone with no sort; patient is then read by PRIMARY KEY. The indexing study
-- (benchmarks/queries.py) times this against the same query without the index.
SELECT p.patient_id,
       p.first_name,
       p.last_name,
       p.email,
       p.phone,
       t.bills,
       t.total_billed
  FROM (SELECT b.patient_id, COUNT(*) AS bills, SUM(b.total_amount) AS total_billed
          FROM billing AS b
         GROUP BY b.patient_id) AS t
  JOIN patient AS p ON p.patient_id = t.patient_id
 ORDER BY p.patient_id
