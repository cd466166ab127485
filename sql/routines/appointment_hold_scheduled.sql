-- appointment_hold_scheduled(id, caller, verb, OUT doctor, starts, duration, seat): locks the
-- appointment's row (FOR UPDATE) for the rest of the transaction and gives back where it
-- stands, refusing in the caller's name one that does not exist or is not Scheduled
-- ("only a Scheduled appointment can be <verb>").
-- What cancel_appointment and reschedule_appointment both do before they free its time.
-- SQL SECURITY INVOKER, granted to nobody: called only from those DEFINER routines.
DROP PROCEDURE IF EXISTS appointment_hold_scheduled;

DELIMITER $$
CREATE PROCEDURE appointment_hold_scheduled(
    IN  p_appointment_id INT UNSIGNED,
    IN  p_caller         VARCHAR(64),
    IN  p_verb           VARCHAR(20),
    OUT p_doctor_id      INT UNSIGNED,
    OUT p_starts_at      DATETIME,
    OUT p_duration       SMALLINT UNSIGNED,
    OUT p_seat           TINYINT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Lock a Scheduled appointment for a change; refuse any other'
BEGIN
    DECLARE v_status VARCHAR(20);
    DECLARE v_message VARCHAR(255);

    SELECT status, doctor_id, starts_at, duration_minutes, seat
      INTO v_status, p_doctor_id, p_starts_at, p_duration, p_seat
      FROM appointment WHERE appointment_id = p_appointment_id FOR UPDATE;
    IF v_status IS NULL THEN
        SET v_message = CONCAT(p_caller, ': no such appointment');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF v_status <> 'Scheduled' THEN
        SET v_message = CONCAT(p_caller, ': appointment ', p_appointment_id, ' is ', v_status,
                               '; only a Scheduled appointment can be ', p_verb);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
