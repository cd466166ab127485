-- account_require_x509(user, host): the account must also present a client certificate
-- signed by the server's CA (REQUIRE X509); `hms users cert NAME` issues one. Only for a
-- pure hms-role account (account_guard), and not one holding admin or dba without an
-- elevation ticket (elevation_guard), like every other change.
DROP PROCEDURE IF EXISTS account_require_x509;

DELIMITER $$
CREATE PROCEDURE account_require_x509(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Make an hms-managed account present a client certificate'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    CALL run_account_statement(CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host), ' REQUIRE X509'));
END$$
DELIMITER ;
