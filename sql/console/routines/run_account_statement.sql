-- run_account_statement(sql): prepares, executes and deallocates one statement built
-- by an account procedure of this schema (values through QUOTE(), role names only
-- after role_guard). The one place those procedures run dynamic SQL.
-- SQL SECURITY INVOKER: called from the definer procedures here it runs with their
-- definer's privileges, as their own statements did; called by anyone else, it runs
-- only with the caller's privileges, so it hands out nothing. The console's service
-- account is granted EXECUTE on the public procedures one by one, never on this one.
-- The text may hold a password (CREATE USER / ALTER USER ... IDENTIFIED BY): the
-- session variable PREPARE reads it from is cleared right after PREPARE, and on error.
-- A read-only server (a replica, or a primary fenced for a switchover) refuses every
-- change: the definer's own privileges would otherwise pass read_only (docs/replication.md).
DROP PROCEDURE IF EXISTS run_account_statement;

DELIMITER $$
CREATE PROCEDURE run_account_statement(IN p_sql TEXT)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Run one statement built by an account procedure'
BEGIN
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET @hms_account_sql = NULL;
        RESIGNAL;
    END;
    IF @@GLOBAL.read_only AND p_sql NOT LIKE 'SHOW %' AND p_sql NOT LIKE 'KILL %' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'this server is read-only (a replica): manage accounts on the primary';
    END IF;
    -- MySQL 8 prepares only from a user variable or a literal, never from p_sql itself.
    SET @hms_account_sql = p_sql;
    PREPARE hms_account_stmt FROM @hms_account_sql;
    SET @hms_account_sql = NULL;
    EXECUTE hms_account_stmt;
    DEALLOCATE PREPARE hms_account_stmt;
END$$
DELIMITER ;
