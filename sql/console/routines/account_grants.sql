-- account_grants(user, host): SHOW GRANTS for an hms-managed account, as the
-- server reports them. SHOW GRANTS for another account needs SELECT on the whole
-- mysql schema, which the service account must not have; this procedure has it
-- through its definer and shows only managed accounts.
DROP PROCEDURE IF EXISTS account_grants;

DELIMITER $$
CREATE PROCEDURE account_grants(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'SHOW GRANTS for an hms-managed account'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    CALL run_account_statement(CONCAT('SHOW GRANTS FOR ', QUOTE(p_user), '@', QUOTE(p_host)));
END$$
DELIMITER ;
