-- Original indexing study (mission.md section 7): total billed per patient.
-- Kept as its own file so benchmarks/queries.py can drop and re-create it.
CREATE INDEX idx_billing_patient_amount ON billing (patient_id, total_amount);
