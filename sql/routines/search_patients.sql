-- search_patients(term, max_rows): patients matching what a front desk types, in
-- index order, at most max_rows (1-1000; NULL means 20):
--   contains '@'            -> e-mail prefix            (idx_patient_email)
--   starts with + or digit  -> phone prefix             (idx_patient_phone)
--   'Last, First'           -> last name exactly, first name prefix (idx_patient_name)
--   anything else           -> last name prefix         (idx_patient_name)
-- The term is matched literally: % and _ in it are escaped, never wildcards.
DROP PROCEDURE IF EXISTS search_patients;

DELIMITER $$
CREATE PROCEDURE search_patients(IN p_term VARCHAR(254), IN p_max_rows INT)
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'Patients by name prefix, phone prefix or e-mail prefix'
BEGIN
    -- CHARACTER SET utf8mb4 without COLLATE gives the charset's default collation,
    -- which is what the patient columns have (their tables name only the charset);
    -- the database default collation can differ, and then LIKE refuses the mix.
    DECLARE v_term VARCHAR(254) CHARACTER SET utf8mb4 DEFAULT TRIM(COALESCE(p_term, ''));
    DECLARE v_rows INT DEFAULT COALESCE(p_max_rows, 20);
    DECLARE v_kind VARCHAR(10);
    DECLARE v_pattern VARCHAR(600) CHARACTER SET utf8mb4;

    IF v_term = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'search_patients: type at least one character';
    END IF;
    IF v_rows < 1 OR v_rows > 1000 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'search_patients: max_rows must be between 1 and 1000';
    END IF;

    -- The LIKE pattern lives in a variable so the optimizer sees a constant prefix
    -- and reads an index range. ! escapes ! % _ (not backslash, so the pattern is
    -- the same whatever NO_BACKSLASH_ESCAPES says).
    SET v_kind = CASE
        WHEN LOCATE('@', v_term) > 0 THEN 'email'
        WHEN LEFT(v_term, 1) = '+' OR LEFT(v_term, 1) BETWEEN '0' AND '9' THEN 'phone'
        WHEN LOCATE(',', v_term) > 0 THEN 'full_name'
        ELSE 'last_name' END;
    SET v_pattern = CONCAT(REPLACE(REPLACE(REPLACE(
        IF(v_kind = 'full_name', TRIM(SUBSTRING(v_term, LOCATE(',', v_term) + 1)), v_term),
        '!', '!!'), '%', '!%'), '_', '!_'), '%');

    IF v_kind = 'email' THEN
        SELECT patient_id, first_name, last_name, date_of_birth, phone, email, city
          FROM patient
         WHERE email LIKE v_pattern ESCAPE '!'
         ORDER BY email, patient_id
         LIMIT v_rows;
    ELSEIF v_kind = 'phone' THEN
        SELECT patient_id, first_name, last_name, date_of_birth, phone, email, city
          FROM patient
         WHERE phone LIKE v_pattern ESCAPE '!'
         ORDER BY phone, patient_id
         LIMIT v_rows;
    ELSEIF v_kind = 'full_name' THEN
        SELECT patient_id, first_name, last_name, date_of_birth, phone, email, city
          FROM patient
         WHERE last_name = TRIM(SUBSTRING_INDEX(v_term, ',', 1))
           AND first_name LIKE v_pattern ESCAPE '!'
         ORDER BY last_name, first_name, patient_id
         LIMIT v_rows;
    ELSE
        SELECT patient_id, first_name, last_name, date_of_birth, phone, email, city
          FROM patient
         WHERE last_name LIKE v_pattern ESCAPE '!'
         ORDER BY last_name, first_name, patient_id
         LIMIT v_rows;
    END IF;
END$$
DELIMITER ;
