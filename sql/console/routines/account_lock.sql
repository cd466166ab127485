-- account_lock(user, host): ALTER USER ... ACCOUNT LOCK on an hms-managed account,
-- then end its open sessions (a lock only refuses new logins).
DROP PROCEDURE IF EXISTS account_lock;

DELIMITER $$
CREATE PROCEDURE account_lock(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Lock an hms-managed account'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    CALL run_account_statement(CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host), ' ACCOUNT LOCK'));
    CALL account_kill_connections(p_user, p_host);
END$$
DELIMITER ;
