-- account_set_password_expiry(user, host, days): the account's password must be changed
-- every `days` days (NULL or 0: never). Once the interval has passed the server lets the
-- account log in only to set a new password (error 1820 on anything else), which
-- `hms users set-password` (or the console) does for it. Guarded like every change.
DROP PROCEDURE IF EXISTS account_set_password_expiry;

DELIMITER $$
CREATE PROCEDURE account_set_password_expiry(IN p_user VARCHAR(80), IN p_host VARCHAR(255), IN p_days INT)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Set or clear an hms-managed account''s password expiry interval'
BEGIN
    CALL account_guard(p_user, p_host, 'managed');
    CALL run_password_expiry(p_user, p_host, p_days);
END$$
DELIMITER ;
