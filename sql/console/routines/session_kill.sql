-- session_kill(id, query_only): KILL QUERY (query_only = TRUE) or KILL CONNECTION for one
-- session, for the console's server-health page. Only ordinary sessions: never root,
-- an hms_* account (the service, loader, restore, backup, replication and SST accounts),
-- a system thread (replication, event scheduler, InnoDB, Galera) or the caller's own
-- session; anything else is refused with SQLSTATE 45000 naming why.
-- SQL SECURITY DEFINER: the definer (the migrating administrator) holds PROCESS to see the
-- session and CONNECTION_ADMIN/SUPER to end it; the service account holds only EXECUTE
-- on this procedure, so a stolen service password can end ordinary sessions, no more.
DROP PROCEDURE IF EXISTS session_kill;

DELIMITER $$
CREATE PROCEDURE session_kill(IN p_id BIGINT UNSIGNED, IN p_query_only BOOLEAN)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'End one ordinary session or its statement (server health page)'
BEGIN
    DECLARE v_user VARCHAR(128);
    DECLARE v_command VARCHAR(32);
    DECLARE v_host VARCHAR(255);
    SET v_user = (SELECT USER FROM information_schema.PROCESSLIST WHERE ID = p_id);
    SET v_command = (SELECT COMMAND FROM information_schema.PROCESSLIST WHERE ID = p_id);
    SET v_host = (SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = p_id);
    IF v_user IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no such session: it has ended already';
    END IF;
    IF p_id = CONNECTION_ID() OR v_user = '' OR v_user IN ('root', 'system user', 'event_scheduler', 'mariadb.sys',
                                                       'mysql.sys', 'mysql.session', 'unauthenticated user')
       OR v_user LIKE 'hms\_%'
       OR v_command IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Slave_IO', 'Slave_SQL', 'Slave_worker',
                        'Connect') THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'that session belongs to root, an hms_* account or the server itself: the console does not end it';
    END IF;
    SELECT v_user AS user, v_host AS host;
    CALL run_account_statement(CONCAT(IF(p_query_only, 'KILL QUERY ', 'KILL CONNECTION '), CAST(p_id AS UNSIGNED)));
END$$
DELIMITER ;
