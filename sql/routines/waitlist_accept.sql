-- waitlist_accept(offer, OUT appointment id): books an open, unexpired offer for its
-- waiting patient. The booking goes through the appointment triggers like any other:
-- if the slot was booked by someone else meanwhile, the offer is marked Lost, the
-- entry waits again, and the caller is told. SQL SECURITY DEFINER.
DROP PROCEDURE IF EXISTS waitlist_accept;

DELIMITER $$
CREATE PROCEDURE waitlist_accept(IN p_offer_id INT UNSIGNED, OUT p_appointment_id INT UNSIGNED)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Accept a waitlist offer: book its slot for the waiting patient'
BEGIN
    DECLARE v_own BOOLEAN DEFAULT @@autocommit = 1;
    DECLARE v_status VARCHAR(20);
    DECLARE v_entry INT UNSIGNED;
    DECLARE v_patient INT UNSIGNED;
    DECLARE v_doctor INT UNSIGNED;
    DECLARE v_starts DATETIME;
    DECLARE v_duration SMALLINT UNSIGNED;
    DECLARE v_seat TINYINT UNSIGNED;
    DECLARE v_expires DATETIME;
    DECLARE v_lost BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_own THEN
            ROLLBACK;
        END IF;
        SET @hms_status_reason = NULL;
        RESIGNAL;
    END;

    SET p_appointment_id = NULL;
    IF v_own THEN
        START TRANSACTION;
    END IF;
    SELECT o.status, o.waitlist_id, w.patient_id, o.doctor_id, o.starts_at, o.duration_minutes, o.seat, o.expires_at
      INTO v_status, v_entry, v_patient, v_doctor, v_starts, v_duration, v_seat, v_expires
      FROM waitlist_offer AS o JOIN waitlist_entry AS w ON w.waitlist_id = o.waitlist_id
     WHERE o.offer_id = p_offer_id FOR UPDATE;
    IF v_status IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'waitlist_accept: no such offer';
    END IF;
    IF v_status <> 'Open' OR v_expires <= NOW() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'waitlist_accept: the offer is no longer open; join the waitlist again';
    END IF;
    SET @hms_status_reason = CONCAT('waitlist offer ', p_offer_id, ' accepted');
    BEGIN
        DECLARE EXIT HANDLER FOR 1062 SET v_lost = TRUE;
        INSERT INTO appointment (patient_id, doctor_id, starts_at, duration_minutes, seat, status, reason)
        VALUES (v_patient, v_doctor, v_starts, v_duration, v_seat, 'Scheduled', 'from the waitlist');
        SET p_appointment_id = LAST_INSERT_ID();
    END;
    SET @hms_status_reason = NULL;
    IF v_lost THEN
        UPDATE waitlist_offer SET status = 'Lost' WHERE offer_id = p_offer_id;
        UPDATE waitlist_entry SET status = 'Waiting' WHERE waitlist_id = v_entry;
    ELSE
        UPDATE waitlist_offer SET status = 'Accepted', appointment_id = p_appointment_id WHERE offer_id = p_offer_id;
        UPDATE waitlist_entry SET status = 'Booked' WHERE waitlist_id = v_entry;
    END IF;
    IF v_own THEN
        COMMIT;
    END IF;
    IF v_lost THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'waitlist_accept: the slot was booked by someone else meanwhile; the patient is waiting again';
    END IF;
END$$
DELIMITER ;
