-- Total billing amount per patient: each patient with at least one bill, with
-- name, e-mail and phone, the number of bills and the total billed, in patient order.
-- Index: none is read for the sums. patient_billing_summary (V301) holds each
-- patient's count and total, kept current by the billing triggers, so the plan is
-- one scan of the summary in PRIMARY KEY order with a PRIMARY KEY (eq_ref) lookup
-- into patient: no GROUP BY over 6M bills, no temporary table, no sort. The
-- indexing study (benchmarks/queries.py) times it against grouping the bills with
-- and without billing(patient_id, total_amount) (V106).
SELECT p.patient_id,
       p.first_name,
       p.last_name,
       p.email,
       p.phone,
       s.bills,
       s.total_billed
  FROM patient_billing_summary AS s
  JOIN patient AS p ON p.patient_id = s.patient_id
 ORDER BY s.patient_id
