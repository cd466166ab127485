-- account_unlock(user, host): ALTER USER ... ACCOUNT UNLOCK on an hms-managed account.
DROP PROCEDURE IF EXISTS account_unlock;

DELIMITER $$
CREATE PROCEDURE account_unlock(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Unlock an hms-managed account'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    SET @hms_account_sql = CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host), ' ACCOUNT UNLOCK');
    PREPARE hms_account_stmt FROM @hms_account_sql;
    EXECUTE hms_account_stmt;
    DEALLOCATE PREPARE hms_account_stmt;
    SET @hms_account_sql = NULL;
END$$
DELIMITER ;
