-- A new template must not overlap another of the same doctor and weekday in both hours
-- and validity (doctor_availability_check_overlap; meeting is fine). It locks the
-- doctor's row, so an INSERT ... SELECT that reads `doctor` is refused (1442, "Can't
-- update table 'doctor' in stored function/trigger"): insert VALUES, as `hms seed` does
-- (seed/scheduling.py). Loader sessions skip this (seed_loader_bypass).
DROP TRIGGER IF EXISTS trg_doctor_availability_insert;

DELIMITER $$
CREATE TRIGGER trg_doctor_availability_insert
BEFORE INSERT ON doctor_availability
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    CALL doctor_availability_check_overlap(NEW.availability_id, NEW.doctor_id, NEW.weekday, NEW.starts_time,
                                           NEW.ends_time, NEW.valid_from, NEW.valid_to);
END$$
DELIMITER ;
