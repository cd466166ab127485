-- Original indexing study (mission.md section 7): every bill with its discount.
-- Kept as its own file so benchmarks/queries.py can drop and re-create it.
CREATE INDEX idx_billing_total_amount ON billing (total_amount);
