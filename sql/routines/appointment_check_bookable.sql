-- appointment_check_bookable(doctor, starts_at, duration, seat): refuses, with a clear
-- message, a Scheduled appointment that a doctor's availability does not allow. Called
-- by trg_appointment_bookable_insert / _update, so it holds for direct SQL too.
-- A doctor with no doctor_availability row is not scheduled by templates and passes
-- (seat 0 only), so the rows and callers from before templates keep working. For a
-- templated doctor the appointment must: not fall on a public holiday, not overlap the
-- doctor's leave, and lie inside one template valid that day, starting on its slot grid,
-- lasting a whole number of its slots, in a seat below its capacity.
-- One statement answers the three questions (a template fits, a holiday, leave); a
-- second asks whether the doctor has any template only when none fits. Reads the
-- templates without locking: overlaps between appointments are decided by the claim
-- tables' keys (appointment_claim), not here.
DROP PROCEDURE IF EXISTS appointment_check_bookable;

DELIMITER $$
CREATE PROCEDURE appointment_check_bookable(
    IN p_doctor_id INT UNSIGNED,
    IN p_starts_at DATETIME,
    IN p_duration  SMALLINT UNSIGNED,
    IN p_seat      TINYINT UNSIGNED
)
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'Refuse an appointment outside the doctor''s availability, in leave or on a holiday'
check_it: BEGIN
    DECLARE v_ends DATETIME DEFAULT p_starts_at + INTERVAL p_duration MINUTE;
    DECLARE v_day DATE DEFAULT DATE(p_starts_at);
    DECLARE v_fits, v_holiday, v_leave BOOLEAN;
    DECLARE v_message VARCHAR(255);

    SELECT EXISTS (
               SELECT 1 FROM doctor_availability AS t
                WHERE t.doctor_id = p_doctor_id AND t.weekday = WEEKDAY(p_starts_at)
                  AND t.valid_from <= v_day AND (t.valid_to IS NULL OR t.valid_to >= v_day)
                  AND TIME(p_starts_at) >= t.starts_time
                  AND TIMESTAMPDIFF(MINUTE, v_day, v_ends) * 60 <= TIME_TO_SEC(t.ends_time)
                  AND MOD(TIMESTAMPDIFF(SECOND, TIMESTAMP(v_day, t.starts_time), p_starts_at), t.slot_minutes * 60) = 0
                  AND MOD(p_duration, t.slot_minutes) = 0
                  AND p_seat < t.capacity),
           EXISTS (SELECT 1 FROM public_holiday WHERE holiday_date = v_day),
           EXISTS (SELECT 1 FROM doctor_leave
                    WHERE doctor_id = p_doctor_id AND starts_at < v_ends AND ends_at > p_starts_at)
      INTO v_fits, v_holiday, v_leave;
    IF NOT v_fits AND NOT EXISTS (SELECT 1 FROM doctor_availability WHERE doctor_id = p_doctor_id) THEN
        IF p_seat <> 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                'appointment: a doctor without an availability template takes one patient at a time (seat 0)';
        END IF;
        LEAVE check_it;
    END IF;
    IF v_holiday THEN
        SET v_message = CONCAT('appointment: ', DATE_FORMAT(v_day, '%Y-%m-%d'),
                               ' is a public holiday; choose another day');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF v_leave THEN
        SET v_message = CONCAT('appointment: doctor ', p_doctor_id, ' is on leave at ',
                               DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i'), '; choose another time or doctor');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF NOT v_fits THEN
        SET v_message = CONCAT('appointment: doctor ', p_doctor_id, ' has no slot at ',
                               DATE_FORMAT(p_starts_at, '%Y-%m-%d %H:%i'), ' for ', p_duration,
                               ' minutes; find one with find_free_slots');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
