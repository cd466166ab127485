-- appointment_book_seat(caller, subject, patient, doctor, starts_at, duration, seat,
-- receptionist, reason, OUT id): what book_appointment and book_slot share. Refuses, in
-- the caller's name, a duration off the 15-minute steps, then inserts the Scheduled
-- appointment in that seat (place) of the slot. An unknown patient, doctor or receptionist
-- is refused in the caller's name too, once the foreign keys have refused the row (error
-- 1452): no lookup of its own on the way of a booking that succeeds. The id is
-- NULL when the place is taken (a duplicate key: the appointment's own or a claim row's,
-- appointment_claim); each caller words that refusal itself (book_slot tries the next place).
-- A lost lock race (deadlock 1213, lock wait 1205) rolled the INSERT back: in autocommit
-- mode it is tried again, up to 8 times with a short random pause, then `subject` is "in
-- heavy demand"; inside the caller's transaction (autocommit off) the caller is told to
-- run the transaction again. SQL SECURITY INVOKER: a role that may EXECUTE it can insert
-- no row its own privileges do not allow (book_appointment's callers hold EXECUTE on it;
-- book_slot runs as its definer).
DROP PROCEDURE IF EXISTS appointment_book_seat;

DELIMITER $$
CREATE PROCEDURE appointment_book_seat(
    IN  p_caller          VARCHAR(64),
    IN  p_subject         VARCHAR(100),
    IN  p_patient_id      INT UNSIGNED,
    IN  p_doctor_id       INT UNSIGNED,
    IN  p_starts_at       DATETIME,
    IN  p_duration        SMALLINT UNSIGNED,
    IN  p_seat            TINYINT UNSIGNED,
    IN  p_receptionist_id INT UNSIGNED,
    IN  p_reason          VARCHAR(255),
    OUT p_appointment_id  INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Check a booking request and insert it in one place of the slot; retries lost lock races'
BEGIN
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_outcome VARCHAR(8);
    DECLARE v_message VARCHAR(255);

    SET p_appointment_id = NULL;
    IF p_duration < 15 OR p_duration > 480 OR MOD(p_duration, 15) <> 0 THEN
        SET v_message = CONCAT(p_caller, ': the duration is 15 to 480 minutes, in steps of 15');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    booking: LOOP
        SET v_attempt = v_attempt + 1, v_outcome = 'booked';
        BEGIN
            DECLARE EXIT HANDLER FOR 1062 SET v_outcome = 'taken';
            DECLARE EXIT HANDLER FOR 1213, 1205 SET v_outcome = 'race';
            DECLARE EXIT HANDLER FOR 1452 SET v_outcome = 'unknown';
            INSERT INTO appointment (patient_id, doctor_id, receptionist_id, starts_at, duration_minutes,
                                     seat, status, reason)
            VALUES (p_patient_id, p_doctor_id, p_receptionist_id, p_starts_at, p_duration,
                    p_seat, 'Scheduled', p_reason);
        END;
        IF v_outcome = 'booked' THEN
            SET p_appointment_id = LAST_INSERT_ID();
            LEAVE booking;
        END IF;
        IF v_outcome = 'taken' THEN
            LEAVE booking;
        END IF;
        IF v_outcome = 'unknown' THEN
            SET v_message = CONCAT(p_caller, CASE
                WHEN NOT EXISTS (SELECT 1 FROM patient WHERE patient_id = p_patient_id) THEN ': no such patient'
                WHEN NOT EXISTS (SELECT 1 FROM doctor WHERE doctor_id = p_doctor_id) THEN ': no such doctor'
                ELSE ': no such receptionist' END);
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        IF @@autocommit = 0 THEN
            SET v_message = CONCAT(p_caller, ': the booking lost a lock race and the transaction was rolled back; ',
                                   'run the transaction again');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        IF v_attempt >= 8 THEN
            SET v_message = CONCAT(p_caller, ': ', p_subject, ' is in heavy demand; try again in a moment');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        DO SLEEP(RAND() * 0.01 * v_attempt);
    END LOOP;
END$$
DELIMITER ;
