-- reschedule_appointment(id, new start, new duration or NULL, reason): moves a
-- Scheduled appointment, atomically: the UPDATE gives back the old claim rows and takes
-- the new ones in one statement (trg_appointment_claims_update), so either the new
-- time is taken or nothing changes. Tries the new slot's places in order (capacity).
-- The freed old slot is then offered to the waitlist in the same transaction.
-- A move racing with bookings, cancellations and other moves of the same slots can lose
-- a deadlock (1213) or a lock wait (1205). As in book_appointment: in autocommit mode the
-- whole move (its own transaction) is rolled back and run again, up to 8 times with a
-- short random pause, then refused in one line; inside the caller's transaction (autocommit
-- off) it is rolled back and the caller is told to run the transaction again (a deadlock
-- has already taken the caller's earlier work; a lock wait would leave half a move):
-- appointment_lost_race, shared with cancel_appointment.
-- SQL SECURITY DEFINER (the receptionist role).
DROP PROCEDURE IF EXISTS reschedule_appointment;

DELIMITER $$
CREATE PROCEDURE reschedule_appointment(
    IN p_appointment_id INT UNSIGNED,
    IN p_starts_at      DATETIME,
    IN p_duration       SMALLINT UNSIGNED,
    IN p_reason         VARCHAR(255)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Move a Scheduled appointment: the new time is taken or nothing changes'
BEGIN
    DECLARE v_own BOOLEAN DEFAULT @@autocommit = 1;
    DECLARE v_doctor INT UNSIGNED;
    DECLARE v_starts DATETIME;
    DECLARE v_duration SMALLINT UNSIGNED;
    DECLARE v_new_duration SMALLINT UNSIGNED;
    DECLARE v_seat TINYINT UNSIGNED;
    DECLARE v_capacity INT DEFAULT 1;
    DECLARE v_try INT DEFAULT 0;
    DECLARE v_moved BOOLEAN DEFAULT FALSE;
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_lost_race BOOLEAN DEFAULT FALSE;
    DECLARE v_message VARCHAR(255);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_own THEN
            ROLLBACK;
        END IF;
        SET @hms_status_reason = NULL;
        RESIGNAL;
    END;

    IF p_starts_at IS NULL OR p_starts_at < NOW() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'reschedule_appointment: the new start must be in the future';
    END IF;
    moving: LOOP
        SET v_attempt = v_attempt + 1, v_lost_race = FALSE, v_try = 0, v_moved = FALSE;
        IF v_own THEN
            START TRANSACTION;
        END IF;
        BEGIN
            DECLARE EXIT HANDLER FOR 1213, 1205 SET v_lost_race = TRUE;
            CALL appointment_hold_scheduled(p_appointment_id, 'reschedule_appointment', 'moved',
                                            v_doctor, v_starts, v_duration, v_seat);
            SET v_new_duration = COALESCE(p_duration, v_duration);
            SELECT COALESCE(MAX(capacity), 1) INTO v_capacity FROM doctor_availability
             WHERE doctor_id = v_doctor AND weekday = WEEKDAY(p_starts_at)
               AND valid_from <= DATE(p_starts_at) AND (valid_to IS NULL OR valid_to >= DATE(p_starts_at))
               AND TIME(p_starts_at) >= starts_time AND TIME(p_starts_at) < ends_time;
            SET @hms_status_reason = COALESCE(p_reason, 'rescheduled');
            WHILE v_try < v_capacity AND NOT v_moved DO
                BEGIN
                    DECLARE EXIT HANDLER FOR 1062 SET v_try = v_try + 1;
                    UPDATE appointment SET starts_at = p_starts_at, duration_minutes = v_new_duration, seat = v_try
                     WHERE appointment_id = p_appointment_id;
                    SET v_moved = TRUE;
                END;
            END WHILE;
            SET @hms_status_reason = NULL;
            IF NOT v_moved THEN
                SET v_message = CONCAT('reschedule_appointment: doctor ', v_doctor, ' is already booked at ',
                                       DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i'), '; nothing was changed');
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
            END IF;
            IF v_starts > NOW() THEN
                CALL waitlist_offer_freed(v_doctor, v_starts, v_duration, v_seat);
            END IF;
            IF v_own THEN
                COMMIT;
            END IF;
        END;
        IF NOT v_lost_race THEN
            LEAVE moving;
        END IF;
        CALL appointment_lost_race('reschedule_appointment', v_own, v_attempt,
                                   CONCAT('the time ', DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i')));
    END LOOP;
END$$
DELIMITER ;
