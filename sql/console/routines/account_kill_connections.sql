-- account_kill_connections(user, host): KILL CONNECTION for every open session of
-- user@host, so a demoted, locked or dropped account loses what it already had open
-- (neither server re-checks a session's privileges, lock or existence once logged in).
-- A session belongs to user@host when its user name is `user` and its client host
-- (without the port) matches the account's host pattern, as the server matched it at login.
-- Called only from account_set_role, account_lock and account_drop, after their change.
-- SQL SECURITY INVOKER, like run_account_statement: from those definer procedures it
-- runs with their definer's privileges (PROCESS to see others' sessions, SUPER /
-- CONNECTION_ADMIN to kill them); called by anyone else it sees and kills nothing more
-- than the caller could itself. The service account is not granted EXECUTE on it.
DROP PROCEDURE IF EXISTS account_kill_connections;

DELIMITER $$
CREATE PROCEDURE account_kill_connections(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'End every open session of one account'
BEGIN
    DECLARE v_ids TEXT;
    DECLARE v_id VARCHAR(24);
    -- 1094: the session ended by itself between the look-up and the KILL.
    DECLARE CONTINUE HANDLER FOR 1094 BEGIN END;

    SELECT GROUP_CONCAT(ID) INTO v_ids FROM information_schema.PROCESSLIST
     WHERE USER = p_user AND ID <> CONNECTION_ID()
       AND SUBSTRING_INDEX(HOST, ':', 1) LIKE p_host;
    WHILE v_ids IS NOT NULL AND v_ids <> '' DO
        SET v_id = SUBSTRING_INDEX(v_ids, ',', 1);
        SET v_ids = IF(LOCATE(',', v_ids) > 0, SUBSTRING(v_ids, LOCATE(',', v_ids) + 1), NULL);
        CALL run_account_statement(CONCAT('KILL CONNECTION ', CAST(v_id AS UNSIGNED)));
    END WHILE;
END$$
DELIMITER ;
