-- A deleted appointment leaves the dashboard summaries.
DROP TRIGGER IF EXISTS trg_visit_summary_delete;

DELIMITER $$
CREATE TRIGGER trg_visit_summary_delete
AFTER DELETE ON appointment
FOR EACH ROW
BEGIN
    CALL visit_summary_add(OLD.starts_at, OLD.doctor_id, OLD.status, -1);
END$$
DELIMITER ;
