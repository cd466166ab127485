-- One visit's record (weak entity: it exists only for its patient and doctor).
CREATE TABLE medical_record (
    record_id      INT UNSIGNED NOT NULL AUTO_INCREMENT,
    patient_id     INT UNSIGNED NOT NULL,
    doctor_id      INT UNSIGNED NOT NULL,
    appointment_id INT UNSIGNED NULL,
    visit_date     DATE         NOT NULL,
    diagnosis      VARCHAR(255) NOT NULL,
    icd10_code     VARCHAR(8)   NOT NULL,
    treatment      VARCHAR(500) NOT NULL,
    notes          TEXT         NULL,
    PRIMARY KEY (record_id),
    UNIQUE KEY uq_medical_record_appointment (appointment_id),
    KEY idx_medical_record_patient_date (patient_id, visit_date),
    KEY idx_medical_record_doctor_date (doctor_id, visit_date),
    CONSTRAINT fk_medical_record_patient FOREIGN KEY (patient_id) REFERENCES patient (patient_id) ON DELETE CASCADE,
    CONSTRAINT fk_medical_record_doctor FOREIGN KEY (doctor_id) REFERENCES doctor (doctor_id),
    CONSTRAINT fk_medical_record_appointment FOREIGN KEY (appointment_id) REFERENCES appointment (appointment_id),
    CONSTRAINT chk_medical_record_icd10 CHECK (icd10_code REGEXP '^[A-Z][0-9][0-9A-Z]([.][0-9A-Z]{1,4})?$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
