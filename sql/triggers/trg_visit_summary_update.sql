-- An appointment whose time, doctor or status changes (completed, no-show, cancelled, moved)
-- moves from its old place in the dashboard summaries to its new one; a new doctor also takes
-- its bills' revenue to the new doctor's department.
DROP TRIGGER IF EXISTS trg_visit_summary_update;

DELIMITER $$
CREATE TRIGGER trg_visit_summary_update
AFTER UPDATE ON appointment
FOR EACH ROW
BEGIN
    IF NEW.starts_at <> OLD.starts_at OR NEW.doctor_id <> OLD.doctor_id OR NEW.status <> OLD.status THEN
        CALL visit_summary_add(OLD.starts_at, OLD.doctor_id, OLD.status, -1);
        CALL visit_summary_add(NEW.starts_at, NEW.doctor_id, NEW.status, 1);
    END IF;
    IF NEW.doctor_id <> OLD.doctor_id THEN
        CALL revenue_summary_move(NEW.appointment_id, OLD.doctor_id, NEW.doctor_id);
    END IF;
END$$
DELIMITER ;
