-- account_set_password(user, host, password_hash): a new password for an hms-managed
-- account, given (and written to the binary log) only as its hash: see account_create.
DROP PROCEDURE IF EXISTS account_set_password;

DELIMITER $$
CREATE PROCEDURE account_set_password(IN p_user VARCHAR(80), IN p_host VARCHAR(255), IN p_password_hash VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Set the password of an hms-managed account'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    CALL password_guard(p_password_hash);
    CALL run_account_statement(CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host),
                                      IF(VERSION() LIKE '%MariaDB%', ' IDENTIFIED BY PASSWORD ',
                                         ' IDENTIFIED WITH caching_sha2_password AS '),
                                      QUOTE(p_password_hash)));
END$$
DELIMITER ;
