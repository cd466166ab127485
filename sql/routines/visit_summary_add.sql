-- visit_summary_add(starts_at, doctor_id, status, delta): adds `delta` (+1 or -1) appointments
-- to visit_week_summary (the week of starts_at, the doctor's department, status) and, unless
-- cancelled, to doctor_visit_summary. Called only by the appointment triggers
-- (trg_visit_summary_*): one place for what an appointment counts for on the dashboard.
DROP PROCEDURE IF EXISTS visit_summary_add;

DELIMITER $$
CREATE PROCEDURE visit_summary_add(IN p_starts_at DATETIME, IN p_doctor_id INT UNSIGNED, IN p_status VARCHAR(16),
                                   IN p_delta INT)
MODIFIES SQL DATA
COMMENT 'Count an appointment in (or out of) the dashboard summaries'
BEGIN
    DECLARE v_department SMALLINT UNSIGNED;
    -- 0 for a doctor that does not exist (only with foreign_key_checks off): a summary never blocks a write.
    SET v_department = COALESCE((SELECT department_id FROM doctor WHERE doctor_id = p_doctor_id), 0);
    -- Append-only (V310): a row per change, so no booking waits on a counter row or certifies against one.
    INSERT INTO visit_week_summary (week_start, department_id, status, appointments)
    VALUES (DATE_SUB(DATE(p_starts_at), INTERVAL WEEKDAY(p_starts_at) DAY), v_department, p_status, p_delta);
    IF p_status <> 'Cancelled' THEN
        INSERT INTO doctor_visit_summary (doctor_id, appointments) VALUES (p_doctor_id, p_delta);
    END IF;
END$$
DELIMITER ;
