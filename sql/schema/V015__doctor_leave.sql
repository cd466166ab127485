-- A doctor's leave (holiday, course, sickness): no appointment of the doctor that is
-- Scheduled may fall in [starts_at, ends_at). Bookings inside are refused by
-- appointment_check_bookable; recording leave over Scheduled appointments is refused
-- by trg_doctor_leave_insert (cancel or move them first).
CREATE TABLE doctor_leave (
    leave_id   INT UNSIGNED NOT NULL AUTO_INCREMENT,
    doctor_id  INT UNSIGNED NOT NULL,
    starts_at  DATETIME     NOT NULL,
    ends_at    DATETIME     NOT NULL,
    reason     VARCHAR(100) NULL,
    PRIMARY KEY (leave_id),
    KEY idx_doctor_leave_doctor (doctor_id, starts_at),
    CONSTRAINT fk_doctor_leave_doctor FOREIGN KEY (doctor_id) REFERENCES doctor (doctor_id),
    CONSTRAINT chk_doctor_leave_span CHECK (ends_at > starts_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
