-- Patient search by name prefix: last name, then first name.
CREATE INDEX idx_patient_name ON patient (last_name, first_name);
