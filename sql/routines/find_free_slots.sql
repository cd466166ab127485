-- find_free_slots(doctor, department, from, to, max): the bookable slots, earliest
-- first: (doctor_id, starts_at, slot_minutes, places_free). Give a doctor, or (doctor
-- NULL) a department. Slots come from the doctor_availability templates valid on each
-- day of [from, to) (at most 62 days), from now on, without public holidays and
-- leave; a slot is free while fewer of its places (seats) hold a claim row in it than
-- its capacity (one primary-key lookup of appointment_doctor_claim per 15 minutes; the
-- constant `BETWEEN 0 AND 15` (240 minutes at most) lets the optimizer read schedule_number
-- by range: a bound taken from the outer row alone made it scan all 10,000 numbers, and
-- a range of unit_at on the claim key read every claim of the doctor; STRAIGHT_JOIN keeps
-- schedule_number first: with the claims first, the optimizer read every claim of the
-- doctor for each number, 3.8 of 1.1 ms per department call at scale 0.1).
-- Doctors without a template have no slots here. It informs only: booking relies on
-- the claim keys, so two clients racing for a slot shown free cannot both get it.
--
-- One doctor: one statement walks the window in 15-minute steps (schedule_number, V029:
-- step k is day k DIV u, unit k MOD u of the hours any template covers), in k order, which
-- is starts_at order, asking at each step "does a free slot start here?" by index lookups,
-- and stops at the `max`-th. The doctor's row is a constant of that join, so the steps are
-- read in schedule_number's primary-key order with no sort. (It was two statements, a walk
-- that kept the last step of the first `max` free slots, then a second read of the steps
-- up to it and a sort, each joining the doctor through a UNION ALL derived table that was
-- materialized, and joined by a join buffer that read every step of the window: 1.55 ms
-- of server CPU for 10 slots in a week at scale 0.1, 0.65 ms now; identical rows over
-- 1,000 random calls.)
-- A department (about 200 doctors at scale 1.0): listing every slot of every doctor in
-- the window before taking the earliest `max` cost doctors x days x slots (126 ms at
-- scale 0.1 for a week), so it is walked in the procedure instead: one query per step for
-- all its doctors (doctor order, LIMIT what is missing; it also checks holidays), which
-- hands back the free slots it found as a JSON array; the last statement lists the arrays
-- of all steps (JSON_TABLE, sorted: at most `max` rows), so no table is read twice. A
-- day's hours are read (a MIN/MAX over the department's templates, V123) only when its
-- first step asked finds nobody free: a working day's 08:00 usually holds all `max`.
-- 10 slots in a week of a 215-doctor department (1.0-sized) at scale 0.1: 1.32 ms of
-- server thread CPU with a MIN/MAX every day and a last statement re-reading the steps
-- and doctors found; 0.65 ms now (0.51 ms from a working day, about 1 ms from a weekend;
-- each day's walk now starts at the hospital's earliest template that day, V125: a
-- Saturday at scale 1.0 from 1.6 to 0.9 ms).
-- Holidays and leave are outer joins kept where nothing joined (`LEFT JOIN ... IS NULL`);
-- a department step's holiday, a constant of the step, is a scalar subquery `(...) IS NULL`.
-- Not NOT EXISTS: MariaDB 10.11 turned those into NOT IN (exists_to_in) wrongly from the
-- second call of the procedure in a session on, and the first statement found nothing. And
-- not correlated scalar subqueries either: each evaluation runs a subquery's own
-- execution and the optimizer plans each one, which cost the one-doctor walk 9-10% of its
-- server CPU (free_slots_equivalence.py, 3,000 calls: 1.060 to 0.954 and 0.914 to 0.833 ms,
-- identical rows).
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
search: BEGIN
    DECLARE v_from DATETIME DEFAULT GREATEST(p_from, NOW());
    DECLARE v_max INT DEFAULT LEAST(GREATEST(COALESCE(p_max, 20), 1), 1000);
    DECLARE v_day DATETIME DEFAULT DATE(GREATEST(p_from, NOW()));
    DECLARE v_first_unit INT;   -- the 15-minute units of a day that some template covers
    DECLARE v_units INT;
    DECLARE v_rows LONGTEXT;                     -- department: the free slots met, a JSON array
    DECLARE v_step_rows LONGTEXT;
    DECLARE v_days INT;                          -- department walk: day, its first and end unit, step
    DECLARE v_d INT DEFAULT 0;
    DECLARE v_date DATE;
    DECLARE v_u INT;
    DECLARE v_u_end INT;
    DECLARE v_at DATETIME;
    DECLARE v_found INT DEFAULT 0;
    DECLARE v_n INT;
    DECLARE v_missing INT;
    DECLARE v_day_known INT;                     -- 1: the walk knows this day has templates
    DECLARE v_u_next INT;                        -- a day's first and end unit of the department
    DECLARE v_u_day_end INT;
    DECLARE v_n_from INT;                        -- one doctor: the steps of [v_from, p_to)
    DECLARE v_n_to INT;

    IF (p_doctor_id IS NULL) = (p_department_id IS NULL) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'find_free_slots: name a doctor or a department, not both';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from OR p_to > p_from + INTERVAL 62 DAY THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'find_free_slots: give a window of up to 62 days (from < to)';
    END IF;
    -- Two index dives (V120, V121): no step is spent on hours no doctor works.
    SELECT (SELECT TIME_TO_SEC(MIN(starts_time)) DIV 900 FROM doctor_availability),
           (SELECT TIME_TO_SEC(MAX(ends_time)) DIV 900 FROM doctor_availability)
      INTO v_first_unit, v_units;
    SET v_units = v_units - v_first_unit;

    IF v_units > 0 AND p_department_id IS NOT NULL THEN
        -- A department: day by day, step by step over the hours any template covers
        -- (narrowed to the department's that day once a step finds nobody free), ONE
        -- query per step lists the doctors free then, in doctor order, as many as are
        -- still missing, as JSON rows appended to v_rows: (step, doctor) order is the
        -- result's order, without a lookup per doctor and step.
        SET v_days = DATEDIFF(p_to, v_day) + 1;
        day_walk: WHILE v_d < v_days AND v_found < v_max DO
            SET v_date = DATE(v_day) + INTERVAL v_d DAY;
            SET v_u = v_first_unit, v_u_end = v_first_unit + v_units, v_day_known = 0;
            -- The day's walk starts at the earliest start of any template of the hospital
            -- valid that day, and a weekday none covers (a Sunday) is skipped at once: one
            -- index dive (V125, templates by weekday and start). Otherwise a Saturday's first
            -- step at 08:00 and the day's hours below would each read every doctor of the
            -- department before the first doctor who works that day, at 09:00.
            SET v_u_next = (SELECT TIME_TO_SEC(t.starts_time) DIV 900 FROM doctor_availability AS t
                             WHERE t.weekday = WEEKDAY(v_date) AND t.valid_from <= v_date
                               AND (t.valid_to IS NULL OR t.valid_to >= v_date)
                             ORDER BY t.starts_time LIMIT 1);
            SET v_u = IF(v_u_next IS NULL, v_u_end, GREATEST(v_u, v_u_next));
            WHILE v_u < v_u_end AND v_found < v_max DO
                SET v_at = v_date + INTERVAL (15 * v_u) MINUTE;
                IF v_at >= p_to THEN
                    LEAVE day_walk;
                END IF;
                IF v_at >= v_from THEN
                    SET v_missing = v_max - v_found;
                    SELECT COUNT(*), JSON_ARRAYAGG(JSON_ARRAY(free_now.doctor_id, v_at, free_now.slot_minutes,
                                                            free_now.places_free))
                      INTO v_n, v_step_rows
                      FROM (SELECT STRAIGHT_JOIN d.doctor_id, t.slot_minutes,
                                   t.capacity - (SELECT COUNT(DISTINCT c.seat) FROM schedule_number AS un
                                                   STRAIGHT_JOIN appointment_doctor_claim AS c
                                                     ON c.doctor_id = d.doctor_id AND c.unit_at = v_at + INTERVAL (15 * un.n) MINUTE
                                                  WHERE un.n BETWEEN 0 AND 15 AND un.n < t.slot_minutes DIV 15) AS places_free
                              FROM doctor AS d
                              JOIN doctor_availability AS t
                                ON t.doctor_id = d.doctor_id AND t.weekday = WEEKDAY(v_at)
                               AND t.valid_from <= DATE(v_at) AND (t.valid_to IS NULL OR t.valid_to >= DATE(v_at))
                               AND TIME_TO_SEC(TIME(v_at)) >= TIME_TO_SEC(t.starts_time)
                               AND TIME_TO_SEC(TIME(v_at)) + 60 * t.slot_minutes <= TIME_TO_SEC(t.ends_time)
                               AND MOD(TIME_TO_SEC(TIME(v_at)) - TIME_TO_SEC(t.starts_time), 60 * t.slot_minutes) = 0
                              LEFT JOIN doctor_leave AS l
                                ON l.doctor_id = d.doctor_id AND l.ends_at > v_at
                               AND l.starts_at < v_at + INTERVAL t.slot_minutes MINUTE
                             WHERE d.department_id = p_department_id
                               AND (SELECT 1 FROM public_holiday AS h WHERE h.holiday_date = DATE(v_at)) IS NULL
                               AND l.doctor_id IS NULL
                            HAVING places_free > 0
                             ORDER BY d.doctor_id
                             LIMIT v_missing) AS free_now;
                    IF v_n > 0 THEN
                        -- MariaDB cuts JSON_ARRAYAGG at group_concat_max_len (1 MB by default;
                        -- 1,000 rows take about 40 kB): refuse rather than lose rows.
                        IF NOT (JSON_LENGTH(v_step_rows) <=> v_n) THEN
                            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'find_free_slots: group_concat_max_len is too small for the slots asked; set it to 65536 or more, or ask fewer';
                        END IF;
                        SET v_found = v_found + v_n, v_day_known = 1,
                            v_rows = IF(v_rows IS NULL, v_step_rows, JSON_MERGE_PRESERVE(v_rows, v_step_rows));
                    ELSEIF v_day_known = 0 THEN
                        -- Nobody free at the first step asked this day: the hours the
                        -- department's templates valid that day cover (one read of its
                        -- doctors' templates, from V123 alone), so the walk goes on from the
                        -- first of them, or skips the day (a holiday, or no template).
                        SET v_u_next = NULL, v_day_known = 1;
                        IF (SELECT 1 FROM public_holiday AS h WHERE h.holiday_date = v_date) IS NULL THEN
                            SELECT MIN(TIME_TO_SEC(t.starts_time)) DIV 900, MAX(TIME_TO_SEC(t.ends_time)) DIV 900
                              INTO v_u_next, v_u_day_end
                              FROM doctor AS d
                              JOIN doctor_availability AS t
                                ON t.doctor_id = d.doctor_id AND t.weekday = WEEKDAY(v_date)
                               AND t.valid_from <= v_date AND (t.valid_to IS NULL OR t.valid_to >= v_date)
                             WHERE d.department_id = p_department_id;
                        END IF;
                        IF v_u_next IS NULL THEN
                            SET v_u = v_u_end;
                        ELSE
                            SET v_u = GREATEST(v_u, v_u_next - 1), v_u_end = LEAST(v_u_end, v_u_day_end);
                        END IF;
                    END IF;
                END IF;
                SET v_u = v_u + 1;
            END WHILE;
            SET v_d = v_d + 1;
        END WHILE;
    ELSEIF v_units > 0 THEN
        -- One doctor: its row is a constant of the join, so the steps are read in their own
        -- order (k, schedule_number's primary key, in step with starts_at) and the statement
        -- stops at the max-th free slot, with no first pass and no sort. The conditions are
        -- those of the department's step query. Each step carries its day, weekday and
        -- second of the day as plain columns, computed from n: the merged derived table
        -- re-evaluates an expression wherever it is named, and TIME_TO_SEC(TIME(starts_at))
        -- and DATE(starts_at) named in every condition cost a tenth of the call's server CPU
        -- (benchmarks/free_slots_equivalence.py: 1.05 to 0.93 ms, identical rows).
        -- The window is a range of step numbers, [v_n_from, v_n_to): the first step at or
        -- after v_from (its day's first step, or the next day's when v_from is after the
        -- day's hours) and the same for p_to, since starts_at grows with n.
        SET v_n_from = DATEDIFF(v_from, v_day) * v_units
                       + LEAST(GREATEST(CEIL(TIME_TO_SEC(v_from) / 900) - v_first_unit, 0), v_units),
            v_n_to = DATEDIFF(p_to, v_day) * v_units
                     + LEAST(GREATEST(CEIL(TIME_TO_SEC(p_to) / 900) - v_first_unit, 0), v_units);
        SELECT STRAIGHT_JOIN ds.doctor_id, st.starts_at, t.slot_minutes,
               t.capacity - (SELECT COUNT(DISTINCT c.seat) FROM schedule_number AS un
                               STRAIGHT_JOIN appointment_doctor_claim AS c
                                 ON c.doctor_id = ds.doctor_id AND c.unit_at = st.starts_at + INTERVAL (15 * un.n) MINUTE
                              WHERE un.n BETWEEN 0 AND 15 AND un.n < t.slot_minutes DIV 15) AS places_free
          FROM (SELECT n AS k, v_day + INTERVAL ((n DIV v_units) * 86400 + 900 * (v_first_unit + n MOD v_units)) SECOND
                                   AS starts_at,
                       DATE(v_day) + INTERVAL (n DIV v_units) DAY AS on_day,
                       (WEEKDAY(v_day) + n DIV v_units) MOD 7 AS on_weekday,
                       900 * (v_first_unit + n MOD v_units) AS at_second
                  FROM schedule_number
                 WHERE n >= v_n_from AND n < v_n_to) AS st
          JOIN doctor AS ds ON ds.doctor_id = p_doctor_id
          JOIN doctor_availability AS t
            ON t.doctor_id = ds.doctor_id AND t.weekday = st.on_weekday
           AND t.valid_from <= st.on_day AND (t.valid_to IS NULL OR t.valid_to >= st.on_day)
           AND st.at_second >= TIME_TO_SEC(t.starts_time)
           AND st.at_second + 60 * t.slot_minutes <= TIME_TO_SEC(t.ends_time)
           AND MOD(st.at_second - TIME_TO_SEC(t.starts_time), 60 * t.slot_minutes) = 0
          LEFT JOIN public_holiday AS h ON h.holiday_date = st.on_day
          LEFT JOIN doctor_leave AS l
            ON l.doctor_id = ds.doctor_id AND l.ends_at > st.starts_at
           AND l.starts_at < st.starts_at + INTERVAL t.slot_minutes MINUTE
         WHERE h.holiday_date IS NULL AND l.doctor_id IS NULL
        HAVING places_free > 0
         ORDER BY st.k
         LIMIT v_max;
        LEAVE search;
    END IF;

    -- The rows the department's walk met ((step, doctor) order is (starts_at, doctor_id)
    -- order), or none: no template anywhere.
    SELECT r.doctor_id, r.starts_at, r.slot_minutes, r.places_free
      FROM JSON_TABLE(COALESCE(v_rows, '[]'), '$[*]'
                      COLUMNS (doctor_id INT UNSIGNED PATH '$[0]', starts_at DATETIME PATH '$[1]',
                               slot_minutes SMALLINT UNSIGNED PATH '$[2]', places_free INT PATH '$[3]')) AS r
     ORDER BY r.starts_at, r.doctor_id;
END search$$
DELIMITER ;
