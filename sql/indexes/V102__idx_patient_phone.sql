-- Patient lookup by phone number (front desk, caller ID).
CREATE INDEX idx_patient_phone ON patient (phone);
