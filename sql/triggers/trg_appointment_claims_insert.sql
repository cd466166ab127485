-- A new appointment: its first status-history row (from NULL), and, when Scheduled,
-- its claim rows, whose primary keys refuse an overlap with the doctor's or the
-- patient's other Scheduled appointments (appointment_claim); the INSERT then fails
-- as a whole. `hms seed` loads appointments, their history and claims as rows and
-- skips this (seed_loader_bypass; seed/scheduling.py).
DROP TRIGGER IF EXISTS trg_appointment_claims_insert;

DELIMITER $$
CREATE TRIGGER trg_appointment_claims_insert
AFTER INSERT ON appointment
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    INSERT INTO appointment_status_history
        (appointment_id, from_status, to_status, from_starts_at, to_starts_at, changed_by, reason)
    VALUES (NEW.appointment_id, NULL, NEW.status, NULL, NEW.starts_at, USER(), @hms_status_reason);
    IF NEW.status = 'Scheduled' THEN
        CALL appointment_claim(NEW.appointment_id, NEW.doctor_id, NEW.patient_id, NEW.starts_at,
                               NEW.duration_minutes, NEW.seat);
    END IF;
END$$
DELIMITER ;
