-- A new appointment counts in visit_week_summary and doctor_visit_summary (the dashboard).
-- Bulk load: `hms seed` rebuilds both after loading, so its loader skips this.
DROP TRIGGER IF EXISTS trg_visit_summary_insert;

DELIMITER $$
CREATE TRIGGER trg_visit_summary_insert
AFTER INSERT ON appointment
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    CALL visit_summary_add(NEW.starts_at, NEW.doctor_id, NEW.status, 1);
END$$
DELIMITER ;
