-- A person receiving care. A date of birth in the future is refused by
-- trg_patient_dob_insert / trg_patient_dob_update (CHECK cannot call CURDATE()).
CREATE TABLE patient (
    patient_id      INT UNSIGNED NOT NULL AUTO_INCREMENT,
    first_name      VARCHAR(50)  NOT NULL,
    last_name       VARCHAR(50)  NOT NULL,
    date_of_birth   DATE         NOT NULL,
    gender          ENUM('Female', 'Male', 'Other') NOT NULL,
    blood_type      ENUM('A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-') NULL,
    phone           VARCHAR(20)  NOT NULL,
    email           VARCHAR(254) NULL,
    address         VARCHAR(255) NOT NULL,
    city            VARCHAR(100) NOT NULL,
    registered_by   INT UNSIGNED NULL,
    registered_at   DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (patient_id),
    KEY idx_patient_registered_by (registered_by),
    CONSTRAINT fk_patient_registered_by FOREIGN KEY (registered_by) REFERENCES receptionist (receptionist_id),
    CONSTRAINT chk_patient_date_of_birth CHECK (date_of_birth >= '1900-01-01'),
    CONSTRAINT chk_patient_email CHECK (email IS NULL OR email LIKE '%_@_%')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
