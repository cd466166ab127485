-- A doctor's weekly availability template: on `weekday` (0 Monday .. 6 Sunday, as
-- WEEKDAY()) from starts_time to ends_time, in slots of slot_minutes, each slot taking
-- up to `capacity` patients at once, valid from valid_from to valid_to (NULL: open).
-- A doctor with at least one template row is booked only inside one (checked by
-- appointment_check_bookable, called from the appointment triggers); a doctor with
-- none is booked as before templates existed (any half hour, one patient).
-- Times are on the 15-minute grid the claim tables use (appointment_doctor_claim).
CREATE TABLE doctor_availability (
    availability_id INT UNSIGNED      NOT NULL AUTO_INCREMENT,
    doctor_id       INT UNSIGNED      NOT NULL,
    weekday         TINYINT UNSIGNED  NOT NULL,
    starts_time     TIME              NOT NULL,
    ends_time       TIME              NOT NULL,
    slot_minutes    SMALLINT UNSIGNED NOT NULL DEFAULT 30,
    capacity        TINYINT UNSIGNED  NOT NULL DEFAULT 1,
    valid_from      DATE              NOT NULL,
    valid_to        DATE              NULL,
    PRIMARY KEY (availability_id),
    KEY idx_doctor_availability_doctor (doctor_id, weekday, valid_from),
    CONSTRAINT fk_doctor_availability_doctor FOREIGN KEY (doctor_id) REFERENCES doctor (doctor_id),
    CONSTRAINT chk_doctor_availability_weekday CHECK (weekday <= 6),
    CONSTRAINT chk_doctor_availability_times CHECK (ends_time > starts_time AND ends_time <= '24:00:00'
        AND MOD(TIME_TO_SEC(starts_time), 900) = 0 AND MOD(TIME_TO_SEC(ends_time), 900) = 0),
    CONSTRAINT chk_doctor_availability_slot CHECK (slot_minutes BETWEEN 15 AND 240 AND MOD(slot_minutes, 15) = 0),
    CONSTRAINT chk_doctor_availability_capacity CHECK (capacity BETWEEN 1 AND 20),
    CONSTRAINT chk_doctor_availability_valid CHECK (valid_to IS NULL OR valid_to >= valid_from)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
