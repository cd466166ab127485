-- run_password_expiry(user, host, days): the account's password expires `days` days after
-- each change (PASSWORD EXPIRE INTERVAL n DAY), or never (NULL or 0: PASSWORD EXPIRE
-- NEVER, so a server-wide default_password_lifetime cannot expire it either). Called by
-- account_set_password_expiry only (SQL SECURITY INVOKER: it runs with the definer
-- procedure's rights, after its guards). hms's own accounts (root, hms_*) never reach
-- it: account_guard refuses them.
DROP PROCEDURE IF EXISTS run_password_expiry;

DELIMITER $$
CREATE PROCEDURE run_password_expiry(IN p_user VARCHAR(80), IN p_host VARCHAR(255), IN p_days INT)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Set how many days an hms account''s password lasts'
BEGIN
    IF p_days IS NOT NULL AND p_days NOT BETWEEN 0 AND 65535 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'password expiry must be 1-65535 days, or never';
    END IF;
    CALL run_account_statement(CONCAT('ALTER USER ', QUOTE(p_user), '@', QUOTE(p_host), ' PASSWORD EXPIRE ',
                                      IF(COALESCE(p_days, 0) = 0, 'NEVER',
                                         CONCAT('INTERVAL ', p_days, ' DAY'))));
END$$
DELIMITER ;
