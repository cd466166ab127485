-- account_set_password(user, host, password): a new password for an hms-managed account.
DROP PROCEDURE IF EXISTS account_set_password;

DELIMITER $$
CREATE PROCEDURE account_set_password(IN p_user VARCHAR(80), IN p_host VARCHAR(255), IN p_password VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Set the password of an hms-managed account'
BEGIN
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET @hms_account_sql = NULL;
        RESIGNAL;
    END;
    CALL account_guard(p_user, p_host, 'managed');
    CALL password_guard(p_password);
    SET @hms_account_sql = CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host),
                                  ' IDENTIFIED BY ', QUOTE(p_password));
    PREPARE hms_account_stmt FROM @hms_account_sql;
    -- The statement text holds the password: clear the session variable at once.
    SET @hms_account_sql = NULL;
    EXECUTE hms_account_stmt;
    DEALLOCATE PREPARE hms_account_stmt;
END$$
DELIMITER ;
