-- calculate_age(date_of_birth): age in whole years today.
-- NOT DETERMINISTIC because it reads today's date; NO SQL because it reads no table.
DROP FUNCTION IF EXISTS calculate_age;

DELIMITER $$
CREATE FUNCTION calculate_age(p_date_of_birth DATE)
RETURNS INT
NOT DETERMINISTIC
NO SQL
SQL SECURITY INVOKER
COMMENT 'Age in whole years today; NULL for a NULL date of birth'
BEGIN
    IF p_date_of_birth IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_date_of_birth > CURDATE() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'calculate_age: date of birth is in the future';
    END IF;
    RETURN TIMESTAMPDIFF(YEAR, p_date_of_birth, CURDATE());
END$$
DELIMITER ;
