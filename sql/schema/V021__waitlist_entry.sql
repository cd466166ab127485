-- A patient waiting for the earliest slot with a doctor (doctor_id) or with any doctor
-- of a department (department_id, doctor_id NULL), starting in [window_from, window_to).
-- When a matching slot frees, the first Waiting entry (by waitlist_id) gets an offer
-- in the same transaction (waitlist_offer_freed) and becomes Offered.
CREATE TABLE waitlist_entry (
    waitlist_id      INT UNSIGNED      NOT NULL AUTO_INCREMENT,
    patient_id       INT UNSIGNED      NOT NULL,
    doctor_id        INT UNSIGNED      NULL,
    department_id    SMALLINT UNSIGNED NULL,
    window_from      DATETIME          NOT NULL,
    window_to        DATETIME          NOT NULL,
    duration_minutes SMALLINT UNSIGNED NOT NULL DEFAULT 30,
    status           ENUM('Waiting', 'Offered', 'Booked', 'Withdrawn') NOT NULL DEFAULT 'Waiting',
    created_at       DATETIME          NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (waitlist_id),
    KEY idx_waitlist_entry_doctor (status, doctor_id, window_from),
    KEY idx_waitlist_entry_department (status, department_id, window_from),
    KEY idx_waitlist_entry_patient (patient_id),
    CONSTRAINT fk_waitlist_entry_patient FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
    CONSTRAINT fk_waitlist_entry_doctor FOREIGN KEY (doctor_id) REFERENCES doctor (doctor_id),
    CONSTRAINT fk_waitlist_entry_department FOREIGN KEY (department_id) REFERENCES department (department_id),
    CONSTRAINT chk_waitlist_entry_target CHECK ((doctor_id IS NULL) <> (department_id IS NULL)),
    CONSTRAINT chk_waitlist_entry_window CHECK (window_to > window_from),
    CONSTRAINT chk_waitlist_entry_duration CHECK (duration_minutes BETWEEN 15 AND 480 AND MOD(duration_minutes, 15) = 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
