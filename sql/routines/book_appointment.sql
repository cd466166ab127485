-- book_appointment(...): books a 30-minute slot with a doctor. Slots start on the hour or
-- the half hour. The checks and the INSERT it shares with book_slot are in
-- appointment_book_seat (unknown patient or doctor refused; a lost lock race retried up
-- to 8 times in autocommit mode, and inside the caller's own transaction refused with
-- "run the transaction again", since the rollback took the caller's earlier work too).
-- The keys decide races (the UNIQUE key on (doctor_id, active_slot, seat) and the claim
-- rows' primary keys); a taken slot comes back from appointment_book_seat as no id and
-- is refused here with a clear message. It takes only the slot's first place (seat 0):
-- book_slot fills the other places of a slot of capacity > 1.
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

    IF p_starts_at IS NULL OR p_starts_at < NOW() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_appointment: the slot must be in the future';
    END IF;
    IF MINUTE(p_starts_at) NOT IN (0, 30) OR SECOND(p_starts_at) <> 0 OR MICROSECOND(p_starts_at) <> 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'book_appointment: slots start on the hour or the half hour';
    END IF;
    CALL appointment_book_seat('book_appointment',
                               CONCAT('the slot ', DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i'), ' of doctor ', p_doctor_id),
                               p_patient_id, p_doctor_id, p_starts_at, 30, 0, p_receptionist_id, p_reason,
                               p_appointment_id);
    IF p_appointment_id IS NULL THEN
        SET v_message = CONCAT('book_appointment: doctor ', p_doctor_id,
                               ' is already booked at ', DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i'));
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
