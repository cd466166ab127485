-- account_drop(user, host): DROP USER on an hms-managed account, then end its open
-- sessions (MariaDB and MySQL leave a dropped account's sessions running).
DROP PROCEDURE IF EXISTS account_drop;

DELIMITER $$
CREATE PROCEDURE account_drop(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Drop an hms-managed account'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    CALL run_account_statement(CONCAT('DROP USER ', QUOTE(p_user), '@', QUOTE(p_host)));
    CALL account_kill_connections(p_user, p_host);
END$$
DELIMITER ;
