-- A status change or a move is recorded in appointment_status_history (by whom:
-- USER(), the login; why: @hms_status_reason, set by the scheduling routines), however
-- it was made. An appointment that stops being Scheduled or moves gives back its claim
-- rows and, if still Scheduled, takes the new ones in the same statement: a move onto
-- a taken time fails as a whole and changes nothing.
DROP TRIGGER IF EXISTS trg_appointment_claims_update;

DELIMITER $$
CREATE TRIGGER trg_appointment_claims_update
AFTER UPDATE ON appointment
FOR EACH ROW
BEGIN
    DECLARE v_moved BOOLEAN DEFAULT NEW.starts_at <> OLD.starts_at OR NEW.duration_minutes <> OLD.duration_minutes
        OR NEW.doctor_id <> OLD.doctor_id OR NEW.patient_id <> OLD.patient_id OR NEW.seat <> OLD.seat;

    IF NEW.status <> OLD.status OR NEW.starts_at <> OLD.starts_at THEN
        INSERT INTO appointment_status_history
            (appointment_id, from_status, to_status, from_starts_at, to_starts_at, changed_by, reason)
        VALUES (NEW.appointment_id, OLD.status, NEW.status, OLD.starts_at, NEW.starts_at, USER(), @hms_status_reason);
    END IF;
    IF OLD.status = 'Scheduled' AND (NEW.status <> 'Scheduled' OR v_moved) THEN
        CALL appointment_release(OLD.appointment_id, OLD.doctor_id, OLD.patient_id, OLD.starts_at,
                                 OLD.duration_minutes, OLD.seat);
    END IF;
    IF NEW.status = 'Scheduled' AND (OLD.status <> 'Scheduled' OR v_moved) THEN
        CALL appointment_claim(NEW.appointment_id, NEW.doctor_id, NEW.patient_id, NEW.starts_at,
                               NEW.duration_minutes, NEW.seat);
    END IF;
END$$
DELIMITER ;
