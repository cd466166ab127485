-- find_free_slots(doctor, department, from, to, max): the bookable slots, earliest
-- first: (doctor_id, starts_at, slot_minutes, places_free). Give a doctor, or (doctor
-- NULL) a department. Slots come from the doctor_availability templates valid on each
-- day of [from, to) (at most 62 days), from now on, without public holidays and
-- leave; a slot is free while fewer of its places (seats) hold a claim row in it than
-- its capacity (one primary-key lookup of appointment_doctor_claim per 15 minutes). Days and slots
-- are numbered from schedule_number (V029), which costs far less than a recursive CTE.
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
    DECLARE v_day DATE DEFAULT DATE(GREATEST(p_from, NOW()));

    IF (p_doctor_id IS NULL) = (p_department_id IS NULL) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'find_free_slots: name a doctor or a department, not both';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from OR p_to > p_from + INTERVAL 62 DAY THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'find_free_slots: give a window of up to 62 days (from < to)';
    END IF;

    SELECT s.doctor_id, s.starts_at, s.slot_minutes, s.capacity - COUNT(DISTINCT c.seat) AS places_free
      FROM (SELECT STRAIGHT_JOIN t.doctor_id,
                   TIMESTAMP(v_day + INTERVAL dn.n DAY, t.starts_time) + INTERVAL (sn.n * t.slot_minutes) MINUTE AS starts_at,
                   t.slot_minutes, t.capacity
              -- the doctor, or the department's doctors: two branches, each an index lookup
              FROM (SELECT doctor_id FROM doctor WHERE doctor_id = p_doctor_id
                    UNION ALL
                    SELECT doctor_id FROM doctor WHERE p_doctor_id IS NULL AND department_id = p_department_id) AS ds
              JOIN schedule_number AS dn ON dn.n <= DATEDIFF(p_to, v_day)
              JOIN doctor_availability AS t
                ON t.doctor_id = ds.doctor_id AND t.weekday = WEEKDAY(v_day + INTERVAL dn.n DAY)
               AND t.valid_from <= v_day + INTERVAL dn.n DAY
               AND (t.valid_to IS NULL OR t.valid_to >= v_day + INTERVAL dn.n DAY)
              JOIN schedule_number AS sn
                ON sn.n < (TIME_TO_SEC(t.ends_time) - TIME_TO_SEC(t.starts_time)) DIV (60 * t.slot_minutes)) AS s
      -- each 15-minute unit of the slot: one primary-key lookup of its claims
      JOIN schedule_number AS un ON un.n < s.slot_minutes DIV 15
      LEFT JOIN appointment_doctor_claim AS c
        ON c.doctor_id = s.doctor_id AND c.unit_at = s.starts_at + INTERVAL (15 * un.n) MINUTE
     WHERE s.starts_at >= v_from AND s.starts_at < p_to
       AND NOT EXISTS (SELECT 1 FROM public_holiday AS h WHERE h.holiday_date = DATE(s.starts_at))
       AND NOT EXISTS (SELECT 1 FROM doctor_leave AS l
                        WHERE l.doctor_id = s.doctor_id AND l.starts_at < s.starts_at + INTERVAL s.slot_minutes MINUTE
                          AND l.ends_at > s.starts_at)
     GROUP BY s.doctor_id, s.starts_at, s.slot_minutes, s.capacity
    HAVING places_free > 0
     ORDER BY s.starts_at, s.doctor_id
     LIMIT v_max;
END$$
DELIMITER ;
