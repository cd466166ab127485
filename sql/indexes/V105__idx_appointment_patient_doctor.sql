-- Original indexing study (mission.md section 7): the all-appointments join.
-- Kept as its own file so benchmarks/queries.py can drop and re-create it.
CREATE INDEX idx_appointment_patient_doctor ON appointment (patient_id, doctor_id);
