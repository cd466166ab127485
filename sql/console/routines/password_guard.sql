-- password_guard(password_hash): refuse anything but a password hash of the form this
-- server stores, so a password never reaches these procedures, their CALL in the general
-- or slow log, or the CREATE/ALTER USER they write to the binary log. MariaDB:
-- mysql_native_password's '*' and 40 hex digits (an empty value would mean no password);
-- MySQL 8: caching_sha2_password's '$A$005$', a 20-character salt and a 43-character
-- digest, as hms/passwords.py makes them. The policy is checked before hashing, in
-- hms/passwords.py: the server cannot see it. The message never repeats the value.
DROP PROCEDURE IF EXISTS password_guard;

DELIMITER $$
CREATE PROCEDURE password_guard(IN p_password_hash VARCHAR(255))
NO SQL
SQL SECURITY DEFINER
COMMENT 'Refuse a value that is not a password hash'
BEGIN
    IF p_password_hash IS NULL OR NOT IF(VERSION() LIKE '%MariaDB%',
            CHAR_LENGTH(p_password_hash) = 41 AND p_password_hash REGEXP '^[*][0-9A-Fa-f]{40}$',
            CHAR_LENGTH(p_password_hash) = 70
            AND p_password_hash REGEXP '^[$]A[$]005[$][./0-9A-Za-z]{63}$') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'the password must be sent as its hash, never in clear (see hms/passwords.py)';
    END IF;
END$$
DELIMITER ;
