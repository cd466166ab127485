-- A prescription written in a medical record (weak entity of medical_record).
CREATE TABLE prescription (
    prescription_id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    record_id       INT UNSIGNED NOT NULL,
    prescribed_at   DATETIME     NOT NULL,
    notes           VARCHAR(255) NULL,
    PRIMARY KEY (prescription_id),
    KEY idx_prescription_record (record_id),
    CONSTRAINT fk_prescription_record FOREIGN KEY (record_id) REFERENCES medical_record (record_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
