-- Records by diagnosis code (case finding, reporting).
CREATE INDEX idx_medical_record_icd10 ON medical_record (icd10_code);
