-- A template whose doctor, weekday, hours or validity change must not come to overlap
-- another of the doctor's (doctor_availability_check_overlap); the row itself does not
-- count. Changing only slot_minutes or capacity checks nothing. Each row is checked on
-- its own: to shift two templates that meet, move first the one the shift moves towards.
DROP TRIGGER IF EXISTS trg_doctor_availability_update;

DELIMITER $$
CREATE TRIGGER trg_doctor_availability_update
BEFORE UPDATE ON doctor_availability
FOR EACH ROW
BEGIN
    IF NEW.doctor_id <> OLD.doctor_id OR NEW.weekday <> OLD.weekday OR NEW.starts_time <> OLD.starts_time
       OR NEW.ends_time <> OLD.ends_time OR NEW.valid_from <> OLD.valid_from
       OR NOT (NEW.valid_to <=> OLD.valid_to) THEN
        CALL doctor_availability_check_overlap(NEW.availability_id, NEW.doctor_id, NEW.weekday, NEW.starts_time,
                                               NEW.ends_time, NEW.valid_from, NEW.valid_to);
    END IF;
END$$
DELIMITER ;
