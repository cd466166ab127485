-- Every change of an appointment's status or time, written by the appointment
-- triggers (so direct SQL is recorded too): who (USER(), the login that made it),
-- when, from and to which status and start, and why (@hms_status_reason, which the
-- scheduling routines set). from_status NULL: the appointment was created.
CREATE TABLE appointment_status_history (
    history_id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    appointment_id  INT UNSIGNED    NOT NULL,
    from_status     ENUM('Scheduled', 'Completed', 'Cancelled', 'No-show') NULL,
    to_status       ENUM('Scheduled', 'Completed', 'Cancelled', 'No-show') NOT NULL,
    from_starts_at  DATETIME        NULL,
    to_starts_at    DATETIME        NOT NULL,
    changed_by      VARCHAR(200)    NOT NULL,
    changed_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    reason          VARCHAR(255)    NULL,
    PRIMARY KEY (history_id),
    KEY idx_appointment_status_history_appointment (appointment_id, history_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
