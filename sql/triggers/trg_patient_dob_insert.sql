-- A date of birth may not be in the future (a CHECK cannot call CURDATE()).
DROP TRIGGER IF EXISTS trg_patient_dob_insert;

DELIMITER $$
CREATE TRIGGER trg_patient_dob_insert
BEFORE INSERT ON patient
FOR EACH ROW
BEGIN
    IF NEW.date_of_birth > CURDATE() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Date of birth cannot be in the future';
    END IF;
END$$
DELIMITER ;
