-- account_set_password(user, host, password): a new password for an hms-managed account.
-- The statement holds the password; run_account_statement clears the session
-- variable it passes through right after PREPARE.
DROP PROCEDURE IF EXISTS account_set_password;

DELIMITER $$
CREATE PROCEDURE account_set_password(IN p_user VARCHAR(80), IN p_host VARCHAR(255), IN p_password VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Set the password of an hms-managed account'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    CALL password_guard(p_password);
    CALL run_account_statement(CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host),
                                      ' IDENTIFIED BY ', QUOTE(p_password)));
END$$
DELIMITER ;
