-- doctor_availability_check_overlap(id, doctor, weekday, starts, ends, valid_from, valid_to):
-- refuses, in one line naming the other template, a template that overlaps another of the
-- same doctor on the same weekday in both its hours and its validity (valid_to NULL: open).
-- Two such templates would make find_free_slots list a slot twice and leave a booking
-- ambiguous between them. Templates that only meet are fine: one ending at 12:00 and the
-- next starting at 12:00, or one valid to 30 June and the next from 1 July.
-- The doctor's row is locked first (FOR UPDATE), so two sessions adding templates of one
-- doctor at once queue, and the second reads the first's committed row (a locking read,
-- not its snapshot): of two overlapping templates at most one is kept. Bookings of the
-- doctor (which share-lock its row through appointment's foreign key) wait for the change
-- to commit, and it waits for them.
-- Called by trg_doctor_availability_insert / _update. SQL SECURITY INVOKER, granted to nobody.
DROP PROCEDURE IF EXISTS doctor_availability_check_overlap;

DELIMITER $$
CREATE PROCEDURE doctor_availability_check_overlap(
    IN p_availability_id INT UNSIGNED,
    IN p_doctor_id       INT UNSIGNED,
    IN p_weekday         TINYINT UNSIGNED,
    IN p_starts_time     TIME,
    IN p_ends_time       TIME,
    IN p_valid_from      DATE,
    IN p_valid_to        DATE
)
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'Refuse a template overlapping another of the doctor in hours and validity'
BEGIN
    DECLARE v_locked INT;
    DECLARE v_other INT UNSIGNED;
    DECLARE v_starts TIME;
    DECLARE v_ends TIME;
    DECLARE v_from DATE;
    DECLARE v_to DATE;
    DECLARE v_message VARCHAR(255);
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_other = NULL;

    SELECT COUNT(*) INTO v_locked FROM doctor WHERE doctor_id = p_doctor_id FOR UPDATE;
    SELECT availability_id, starts_time, ends_time, valid_from, valid_to
      INTO v_other, v_starts, v_ends, v_from, v_to
      FROM doctor_availability
     WHERE doctor_id = p_doctor_id AND weekday = p_weekday AND availability_id <> p_availability_id
       AND starts_time < p_ends_time AND ends_time > p_starts_time
       AND valid_from <= COALESCE(p_valid_to, DATE '9999-12-31')
       AND (valid_to IS NULL OR valid_to >= p_valid_from)
     ORDER BY availability_id
     LIMIT 1
       LOCK IN SHARE MODE;
    IF v_other IS NOT NULL THEN
        -- At most 128 characters (MySQL's limit for a SIGNAL's text) for template ids below a billion.
        SET v_message = CONCAT('doctor_availability: overlaps template ', v_other, ' (',
                               ELT(p_weekday + 1, 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'), ' ',
                               TIME_FORMAT(v_starts, '%H:%i'), '-', TIME_FORMAT(v_ends, '%H:%i'), ', ',
                               DATE_FORMAT(v_from, '%Y-%m-%d'), '..', COALESCE(DATE_FORMAT(v_to, '%Y-%m-%d'), 'open'),
                               '); hours or dates may meet, not overlap');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
