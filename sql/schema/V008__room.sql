-- A bed or room. A patient occupies at most one room; an occupied room is not available.
CREATE TABLE room (
    room_id      SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
    room_number  VARCHAR(10)       NOT NULL,
    room_type    ENUM('General', 'Semi-Private', 'Private', 'ICU', 'Maternity', 'Pediatric', 'Isolation') NOT NULL,
    daily_rate   DECIMAL(10,2)     NOT NULL,
    is_available BOOLEAN           NOT NULL DEFAULT TRUE,
    patient_id   INT UNSIGNED      NULL,
    PRIMARY KEY (room_id),
    UNIQUE KEY uq_room_number (room_number),
    UNIQUE KEY uq_room_patient (patient_id),
    CONSTRAINT fk_room_patient FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
    CONSTRAINT chk_room_daily_rate CHECK (daily_rate >= 0),
    CONSTRAINT chk_room_occupied_not_available CHECK (patient_id IS NULL OR is_available = FALSE)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
