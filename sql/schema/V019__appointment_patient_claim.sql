-- A patient holds one row per 15-minute unit of each Scheduled appointment, with any
-- doctor: two overlapping appointments of one patient need the same key, so the
-- second is refused by the primary key (same mechanism as appointment_doctor_claim).
CREATE TABLE appointment_patient_claim (
    patient_id     INT UNSIGNED NOT NULL,
    unit_at        DATETIME     NOT NULL,
    appointment_id INT UNSIGNED NOT NULL,
    PRIMARY KEY (patient_id, unit_at),
    KEY idx_appointment_patient_claim_appointment (appointment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
