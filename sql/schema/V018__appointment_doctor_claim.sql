-- What makes overlapping appointments of a doctor impossible, by key: every Scheduled
-- appointment holds one row per 15-minute unit it covers, in its seat (place in a slot
-- of capacity > 1). Two appointments overlapping in the same seat need the same
-- (doctor_id, unit_at, seat): the second INSERT waits for the first's lock and then
-- fails with a duplicate key, whatever the timing. Written only by the appointment
-- triggers (appointment_claim / appointment_release); seats are below the slot's
-- capacity (appointment_check_bookable), so at most `capacity` appointments share a unit.
CREATE TABLE appointment_doctor_claim (
    doctor_id      INT UNSIGNED     NOT NULL,
    unit_at        DATETIME         NOT NULL,
    seat           TINYINT UNSIGNED NOT NULL,
    appointment_id INT UNSIGNED     NOT NULL,
    PRIMARY KEY (doctor_id, unit_at, seat),
    KEY idx_appointment_doctor_claim_appointment (appointment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
