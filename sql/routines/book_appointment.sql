-- book_appointment(...): books a slot with a doctor. The UNIQUE key on
-- (doctor_id, active_slot) decides races; this procedure turns the duplicate-key
-- error into a clear message. Slots start on the hour or the half hour.
-- Bookings racing with cancellations and moves of the same slots can lose a deadlock
-- (1213) or a lock wait (1205); InnoDB then rolls the statement back, so the INSERT is
-- retried, up to 8 times with a short random pause, before a clear refusal. Only in
-- autocommit mode: inside the caller's own transaction (autocommit off) the rollback took
-- the caller's earlier work too, so the caller is told to run the whole transaction again.
DROP PROCEDURE IF EXISTS book_appointment;

DELIMITER $$
CREATE PROCEDURE book_appointment(
    IN  p_patient_id      INT UNSIGNED,
    IN  p_doctor_id       INT UNSIGNED,
    IN  p_starts_at       DATETIME,
    IN  p_receptionist_id INT UNSIGNED,
    IN  p_reason          VARCHAR(255),
    OUT p_appointment_id  INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Book a 30-minute slot; refuses a doctor who is already booked'
BEGIN
    DECLARE v_message VARCHAR(255);
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_lost_race BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        SET v_message = CONCAT('book_appointment: doctor ', p_doctor_id,
                               ' is already booked at ', DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i'));
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END;

    IF p_starts_at IS NULL OR p_starts_at < NOW() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_appointment: the slot must be in the future';
    END IF;
    IF MINUTE(p_starts_at) NOT IN (0, 30) OR SECOND(p_starts_at) <> 0 OR MICROSECOND(p_starts_at) <> 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_appointment: slots start on the hour or the half hour';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM patient WHERE patient_id = p_patient_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_appointment: no such patient';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM doctor WHERE doctor_id = p_doctor_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_appointment: no such doctor';
    END IF;

    booking: LOOP
        SET v_attempt = v_attempt + 1, v_lost_race = FALSE;
        BEGIN
            DECLARE EXIT HANDLER FOR 1213, 1205 SET v_lost_race = TRUE;
            INSERT INTO appointment (patient_id, doctor_id, receptionist_id, starts_at, status, reason)
            VALUES (p_patient_id, p_doctor_id, p_receptionist_id, p_starts_at, 'Scheduled', p_reason);
        END;
        IF NOT v_lost_race THEN
            LEAVE booking;
        END IF;
        IF @@autocommit = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                'book_appointment: the booking lost a lock race and the transaction was rolled back; run the transaction again';
        END IF;
        IF v_attempt >= 8 THEN
            SET v_message = CONCAT('book_appointment: the slot ', DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i'),
                                   ' of doctor ', p_doctor_id, ' is in heavy demand; try again in a moment');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        DO SLEEP(RAND() * 0.01 * v_attempt);
    END LOOP;
    SET p_appointment_id = LAST_INSERT_ID();
END$$
DELIMITER ;
