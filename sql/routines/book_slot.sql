-- book_slot(patient, doctor, starts_at, duration, receptionist, reason, OUT id): books
-- an appointment of `duration` minutes (NULL: 30). What decides races is in the
-- database, not here: the appointment triggers check the doctor's availability and
-- take the claim rows whose primary keys refuse any overlap (appointment_claim). For
-- a slot of capacity > 1 this tries its places (seats) in order; a duplicate key on
-- one place moves to the next, so concurrent bookings fill the places one each.
-- A lost lock race (deadlock, lock wait) is retried up to 8 times in autocommit mode,
-- as book_appointment does. SQL SECURITY DEFINER: the receptionist role books through
-- it without writing any table directly.
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
    DECLARE v_attempt INT;
    DECLARE v_outcome VARCHAR(8);
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
    IF v_duration < 15 OR v_duration > 480 OR MOD(v_duration, 15) <> 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_slot: the duration is 15 to 480 minutes, in steps of 15';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM patient WHERE patient_id = p_patient_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_slot: no such patient';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM doctor WHERE doctor_id = p_doctor_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_slot: no such doctor';
    END IF;
    SELECT COALESCE(MAX(capacity), 1) INTO v_capacity FROM doctor_availability
     WHERE doctor_id = p_doctor_id AND weekday = WEEKDAY(p_starts_at)
       AND valid_from <= DATE(p_starts_at) AND (valid_to IS NULL OR valid_to >= DATE(p_starts_at))
       AND TIME(p_starts_at) >= starts_time AND TIME(p_starts_at) < ends_time;

    SET @hms_status_reason = COALESCE(p_reason, 'booked');
    places: WHILE v_seat < v_capacity DO
        SET v_attempt = 0;
        booking: LOOP
            SET v_attempt = v_attempt + 1, v_outcome = 'booked';
            BEGIN
                DECLARE EXIT HANDLER FOR 1062 SET v_outcome = 'taken';
                DECLARE EXIT HANDLER FOR 1213, 1205 SET v_outcome = 'race';
                INSERT INTO appointment (patient_id, doctor_id, receptionist_id, starts_at, duration_minutes,
                                         seat, status, reason)
                VALUES (p_patient_id, p_doctor_id, p_receptionist_id, p_starts_at, v_duration,
                        v_seat, 'Scheduled', p_reason);
            END;
            IF v_outcome <> 'race' THEN
                LEAVE booking;
            END IF;
            IF @@autocommit = 0 THEN
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                    'book_slot: the booking lost a lock race and the transaction was rolled back; run the transaction again';
            END IF;
            IF v_attempt >= 8 THEN
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_slot: that time is in heavy demand; try again in a moment';
            END IF;
            DO SLEEP(RAND() * 0.01 * v_attempt);
        END LOOP;
        IF v_outcome = 'booked' THEN
            SET p_appointment_id = LAST_INSERT_ID(), @hms_status_reason = NULL;
            LEAVE places;
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
