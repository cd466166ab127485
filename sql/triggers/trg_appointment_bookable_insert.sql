-- A new Scheduled appointment must fit its doctor's availability (outside leave and
-- public holidays): appointment_check_bookable. Holds for direct SQL as for the
-- routines. `hms seed` loads rows that already fit and skips it (seed_loader_bypass).
DROP TRIGGER IF EXISTS trg_appointment_bookable_insert;

DELIMITER $$
CREATE TRIGGER trg_appointment_bookable_insert
BEFORE INSERT ON appointment
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    IF NEW.status = 'Scheduled' THEN
        CALL appointment_check_bookable(NEW.doctor_id, NEW.starts_at, NEW.duration_minutes, NEW.seat);
    END IF;
END$$
DELIMITER ;
