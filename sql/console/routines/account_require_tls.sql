-- account_require_tls(user, host): an account for any host but this machine's own
-- (localhost, 127.0.0.1, ::1) logs in only over TLS (REQUIRE SSL), so its password and
-- the health data it reads never cross a network in the clear. Called by account_create
-- only (SQL SECURITY INVOKER: it runs with the definer procedure's rights).
DROP PROCEDURE IF EXISTS account_require_tls;

DELIMITER $$
CREATE PROCEDURE account_require_tls(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Make a non-local hms account require TLS'
BEGIN
    IF p_host NOT IN ('localhost', '127.0.0.1', '::1') THEN
        CALL run_account_statement(CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host), ' REQUIRE SSL'));
    END IF;
END$$
DELIMITER ;
