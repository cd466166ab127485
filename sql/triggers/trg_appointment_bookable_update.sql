-- An appointment that becomes Scheduled, or moves while Scheduled (time, length,
-- doctor or seat), must fit the doctor's availability: appointment_check_bookable.
DROP TRIGGER IF EXISTS trg_appointment_bookable_update;

DELIMITER $$
CREATE TRIGGER trg_appointment_bookable_update
BEFORE UPDATE ON appointment
FOR EACH ROW
BEGIN
    IF NEW.status = 'Scheduled'
       AND (OLD.status <> 'Scheduled' OR NEW.starts_at <> OLD.starts_at OR NEW.duration_minutes <> OLD.duration_minutes
            OR NEW.doctor_id <> OLD.doctor_id OR NEW.seat <> OLD.seat) THEN
        CALL appointment_check_bookable(NEW.doctor_id, NEW.starts_at, NEW.duration_minutes, NEW.seat);
    END IF;
END$$
DELIMITER ;
