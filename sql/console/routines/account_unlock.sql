-- account_unlock(user, host): ALTER USER ... ACCOUNT UNLOCK on an hms-managed account.
DROP PROCEDURE IF EXISTS account_unlock;

DELIMITER $$
CREATE PROCEDURE account_unlock(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Unlock an hms-managed account'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    CALL run_account_statement(CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host), ' ACCOUNT UNLOCK'));
END$$
DELIMITER ;
