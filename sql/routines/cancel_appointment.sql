-- cancel_appointment(id, reason): cancels a Scheduled appointment and, in the same
-- transaction, offers the freed slot to the first matching waiting patient
-- (waitlist_offer_freed). The status change is recorded by the appointment trigger
-- with this reason. In autocommit mode it runs as its own transaction; with
-- autocommit off it joins the caller's. A cancellation that loses a lock race (1213,
-- 1205) is rolled back and, in its own transaction, run again up to 8 times; in the
-- caller's, the caller is told to run the transaction again (appointment_lost_race).
-- SQL SECURITY DEFINER (the receptionist role).
DROP PROCEDURE IF EXISTS cancel_appointment;

DELIMITER $$
CREATE PROCEDURE cancel_appointment(IN p_appointment_id INT UNSIGNED, IN p_reason VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Cancel a Scheduled appointment and offer its slot to the waitlist'
BEGIN
    DECLARE v_own BOOLEAN DEFAULT @@autocommit = 1;
    DECLARE v_doctor INT UNSIGNED;
    DECLARE v_starts DATETIME;
    DECLARE v_duration SMALLINT UNSIGNED;
    DECLARE v_seat TINYINT UNSIGNED;
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_lost_race BOOLEAN;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_own THEN
            ROLLBACK;
        END IF;
        SET @hms_status_reason = NULL;
        RESIGNAL;
    END;

    cancelling: LOOP
        SET v_attempt = v_attempt + 1, v_lost_race = FALSE;
        IF v_own THEN
            START TRANSACTION;
        END IF;
        BEGIN
            DECLARE EXIT HANDLER FOR 1213, 1205 SET v_lost_race = TRUE;
            CALL appointment_hold_scheduled(p_appointment_id, 'cancel_appointment', 'cancelled',
                                            v_doctor, v_starts, v_duration, v_seat);
            SET @hms_status_reason = COALESCE(p_reason, 'cancelled');
            UPDATE appointment SET status = 'Cancelled' WHERE appointment_id = p_appointment_id;
            SET @hms_status_reason = NULL;
            IF v_starts > NOW() THEN
                CALL waitlist_offer_freed(v_doctor, v_starts, v_duration, v_seat);
            END IF;
            IF v_own THEN
                COMMIT;
            END IF;
        END;
        IF NOT v_lost_race THEN
            LEAVE cancelling;
        END IF;
        CALL appointment_lost_race('cancel_appointment', v_own, v_attempt, CONCAT('appointment ', p_appointment_id));
    END LOOP;
END$$
DELIMITER ;
