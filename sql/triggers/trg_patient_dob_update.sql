-- A date of birth may not be changed to a day in the future.
DROP TRIGGER IF EXISTS trg_patient_dob_update;

DELIMITER $$
CREATE TRIGGER trg_patient_dob_update
BEFORE UPDATE ON patient
FOR EACH ROW
BEGIN
    IF NEW.date_of_birth > CURDATE() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Date of birth cannot be in the future';
    END IF;
END$$
DELIMITER ;
