-- All appointments summary (sql/queries/appointments_summary.sql): a patient's
-- appointments with everything the summary shows, so that query reads patient in
-- PRIMARY KEY order and this index in the same order, a merge with no lookups into
-- appointment itself. It extends idx_appointment_patient_starts (kept: the foreign
-- key on patient_id relies on it while bulk loads drop the files of sql/indexes).
CREATE INDEX idx_appointment_patient_cover ON appointment (patient_id, starts_at, doctor_id, status);
