-- find_free_slots(doctor, department, from, to, max): the bookable slots, earliest
-- first: (doctor_id, starts_at, slot_minutes, places_free). Give a doctor, or (doctor
-- NULL) a department. Slots come from the doctor_availability templates valid on each
-- day of [from, to) (at most 62 days), from now on, without public holidays and
-- leave; a slot is free while fewer of its places (seats) hold a claim row in it than
-- its capacity (each probe is a range of appointment_doctor_claim's primary key).
-- Doctors without a template have no slots here. It informs only: booking relies on
-- the claim keys, so two clients racing for a slot shown free cannot both get it.
-- SQL SECURITY DEFINER: the receptionist and doctor roles read no table directly.
DROP PROCEDURE IF EXISTS find_free_slots;

DELIMITER $$
CREATE PROCEDURE find_free_slots(
    IN p_doctor_id     INT UNSIGNED,
    IN p_department_id SMALLINT UNSIGNED,
    IN p_from          DATETIME,
    IN p_to            DATETIME,
    IN p_max           INT
)
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'The free slots of a doctor or a department in a window, earliest first'
BEGIN
    DECLARE v_from DATETIME DEFAULT GREATEST(p_from, NOW());
    DECLARE v_max INT DEFAULT LEAST(GREATEST(COALESCE(p_max, 20), 1), 1000);

    IF (p_doctor_id IS NULL) = (p_department_id IS NULL) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'find_free_slots: name a doctor or a department, not both';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from OR p_to > p_from + INTERVAL 62 DAY THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'find_free_slots: give a window of up to 62 days (from < to)';
    END IF;

    WITH RECURSIVE days (d) AS (
        SELECT DATE(v_from)
        UNION ALL
        SELECT d + INTERVAL 1 DAY FROM days WHERE d + INTERVAL 1 DAY < p_to
    ), steps (n) AS (
        SELECT 0
        UNION ALL
        SELECT n + 1 FROM steps WHERE n < 95
    ), slots AS (
        SELECT t.doctor_id, TIMESTAMP(days.d, t.starts_time) + INTERVAL (steps.n * t.slot_minutes) MINUTE AS starts_at,
               t.slot_minutes, t.capacity
          FROM days
          JOIN doctor_availability AS t
            ON t.weekday = WEEKDAY(days.d) AND t.valid_from <= days.d AND (t.valid_to IS NULL OR t.valid_to >= days.d)
          JOIN steps ON steps.n < (TIME_TO_SEC(t.ends_time) - TIME_TO_SEC(t.starts_time)) DIV (60 * t.slot_minutes)
         WHERE t.doctor_id IN (SELECT doc.doctor_id FROM doctor AS doc
                                WHERE doc.doctor_id = p_doctor_id
                                   OR (p_doctor_id IS NULL AND doc.department_id = p_department_id))
           AND NOT EXISTS (SELECT 1 FROM public_holiday AS h WHERE h.holiday_date = days.d)
    ), open_slots AS (
        SELECT s.doctor_id, s.starts_at, s.slot_minutes,
               s.capacity - (SELECT COUNT(DISTINCT c.seat) FROM appointment_doctor_claim AS c
                              WHERE c.doctor_id = s.doctor_id AND c.unit_at >= s.starts_at
                                AND c.unit_at < s.starts_at + INTERVAL s.slot_minutes MINUTE) AS places_free
          FROM slots AS s
         WHERE s.starts_at >= v_from AND s.starts_at < p_to
           AND NOT EXISTS (SELECT 1 FROM doctor_leave AS l
                            WHERE l.doctor_id = s.doctor_id AND l.starts_at < s.starts_at + INTERVAL s.slot_minutes MINUTE
                              AND l.ends_at > s.starts_at)
    )
    SELECT doctor_id, starts_at, slot_minutes, places_free
      FROM open_slots
     WHERE places_free > 0
     ORDER BY starts_at, doctor_id
     LIMIT v_max;
END$$
DELIMITER ;
