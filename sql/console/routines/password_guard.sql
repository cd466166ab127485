-- password_guard(password): the server-side floor of the password policy (the
-- full policy is in hms/passwords.py): 12-128 printable ASCII characters.
-- The message never repeats the password.
DROP PROCEDURE IF EXISTS password_guard;

DELIMITER $$
CREATE PROCEDURE password_guard(IN p_password VARCHAR(255))
NO SQL
SQL SECURITY DEFINER
COMMENT 'Refuse passwords below the policy floor'
BEGIN
    IF p_password IS NULL OR CHAR_LENGTH(p_password) NOT BETWEEN 12 AND 128
       OR CHAR_LENGTH(p_password) <> LENGTH(p_password) OR p_password REGEXP '[^ -~]' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'password must be 12-128 printable ASCII characters';
    END IF;
END$$
DELIMITER ;
