-- A patient's booked slot with a doctor.
-- active_slot is the start time for every appointment that is not Cancelled and
-- NULL otherwise; UNIQUE (doctor_id, active_slot) is what makes double-booking a
-- doctor impossible, even for two sessions booking at the same instant.
CREATE TABLE appointment (
    appointment_id  INT UNSIGNED NOT NULL AUTO_INCREMENT,
    patient_id      INT UNSIGNED NOT NULL,
    doctor_id       INT UNSIGNED NOT NULL,
    receptionist_id INT UNSIGNED NULL,
    starts_at       DATETIME     NOT NULL,
    status          ENUM('Scheduled', 'Completed', 'Cancelled', 'No-show') NOT NULL DEFAULT 'Scheduled',
    reason          VARCHAR(255) NULL,
    created_at      DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    active_slot     DATETIME AS (IF(status = 'Cancelled', NULL, starts_at)) STORED,
    PRIMARY KEY (appointment_id),
    UNIQUE KEY uq_appointment_doctor_slot (doctor_id, active_slot),
    KEY idx_appointment_patient_starts (patient_id, starts_at),
    KEY idx_appointment_receptionist (receptionist_id),
    CONSTRAINT fk_appointment_patient FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
    CONSTRAINT fk_appointment_doctor FOREIGN KEY (doctor_id) REFERENCES doctor (doctor_id),
    CONSTRAINT fk_appointment_receptionist FOREIGN KEY (receptionist_id) REFERENCES receptionist (receptionist_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
