-- Patient lookup by e-mail address.
CREATE INDEX idx_patient_email ON patient (email);
