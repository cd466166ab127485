-- book_slot(patient, doctor, starts_at, duration, receptionist, reason, OUT id): books
-- an appointment of `duration` minutes (NULL: 30). What decides races is in the
-- database, not here: the appointment triggers check the doctor's availability and
-- take the claim rows whose primary keys refuse any overlap (appointment_claim). For
-- a slot of capacity > 1 this tries its places (seats) in order; a taken place moves to
-- the next, so concurrent bookings fill the places one each. The slot's capacity is read
-- only when the first place is taken: most slots take one patient, and a booking that
-- gets seat 0 (most do) skips that read. The checks, the INSERT and
-- its retry of a lost lock race (up to 8 times in autocommit mode) are shared with
-- book_appointment: appointment_book_seat. SQL SECURITY DEFINER: the receptionist role
-- books through it without writing any table directly.
DROP PROCEDURE IF EXISTS book_slot;

DELIMITER $$
CREATE PROCEDURE book_slot(
    IN  p_patient_id      INT UNSIGNED,
    IN  p_doctor_id       INT UNSIGNED,
    IN  p_starts_at       DATETIME,
    IN  p_duration        SMALLINT UNSIGNED,
    IN  p_receptionist_id INT UNSIGNED,
    IN  p_reason          VARCHAR(255),
    OUT p_appointment_id  INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Book an appointment of any whole number of slots; refuses overlaps by key'
BEGIN
    DECLARE v_duration SMALLINT UNSIGNED DEFAULT COALESCE(p_duration, 30);
    DECLARE v_capacity INT DEFAULT 1;
    DECLARE v_seat INT DEFAULT 0;
    DECLARE v_message VARCHAR(255);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET @hms_status_reason = NULL;
        RESIGNAL;
    END;

    SET p_appointment_id = NULL;
    IF p_starts_at IS NULL OR p_starts_at < NOW() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_slot: the start must be in the future';
    END IF;
    SET @hms_status_reason = COALESCE(p_reason, 'booked');
    WHILE p_appointment_id IS NULL AND v_seat < v_capacity DO
        CALL appointment_book_seat('book_slot', 'that time', p_patient_id, p_doctor_id, p_starts_at, v_duration,
                                   v_seat, p_receptionist_id, p_reason, p_appointment_id);
        IF p_appointment_id IS NULL AND v_seat = 0 THEN
            SELECT COALESCE(MAX(capacity), 1) INTO v_capacity FROM doctor_availability
             WHERE doctor_id = p_doctor_id AND weekday = WEEKDAY(p_starts_at)
               AND valid_from <= DATE(p_starts_at) AND (valid_to IS NULL OR valid_to >= DATE(p_starts_at))
               AND TIME(p_starts_at) >= starts_time AND TIME(p_starts_at) < ends_time;
        END IF;
        SET v_seat = v_seat + 1;
    END WHILE;
    SET @hms_status_reason = NULL;
    IF p_appointment_id IS NULL THEN
        SET v_message = CONCAT('book_slot: doctor ', p_doctor_id, ' is already booked at ',
                               DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i'), ' for ', v_duration,
                               ' minutes; find a free slot with find_free_slots');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
