-- routine_ticket_take(): take the ticket routine_ticket_held looks for: this session's row
-- in hms_ticket.routine_ticket (V047), keyed by @@GLOBAL.server_id and CONNECTION_ID() (the
-- global value: on a Galera node with wsrep_gtid_mode the session's @@server_id reads as
-- another node's inside a statement that reads a table);
-- routine_ticket_release() gives it back. The one definition of the ticket, called by the
-- routines that alone write payments and stock movements, right after their START
-- TRANSACTION (and released before their COMMIT), so the row is never committed: a failed
-- or killed call rolls it back with the rest of its work. No DDL: one InnoDB row.
-- SQL SECURITY INVOKER and granted to no role: called from those SQL SECURITY DEFINER
-- routines it runs as their definer; called by anyone else it needs their own INSERT on
-- hms_ticket, which no hms role holds (only accounts with privileges on every database).
-- A row a killed call left committed (its session committed after the kill) is taken over
-- (ON DUPLICATE KEY) and so deleted by the release.
-- Fallback: a definer with no privilege on hms_ticket (the restore account that owns the
-- routines of a database restored from a dump, hms/backup/restore_account.py) or a server
-- without the table takes the older ticket instead, the temporary table
-- hms_routine_ticket in this database: creating it takes CREATE TEMPORARY TABLES here,
-- which such a definer holds and no hms role but hms_admin and hms_dba does.
DROP PROCEDURE IF EXISTS routine_ticket_take;

DELIMITER $$
CREATE PROCEDURE routine_ticket_take()
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Take the ticket of the payment and stock routines (routine_ticket_held)'
BEGIN
    DECLARE CONTINUE HANDLER FOR 1044, 1142, 1146
        CREATE TEMPORARY TABLE IF NOT EXISTS hms_routine_ticket (held TINYINT) ENGINE=MEMORY;
    INSERT INTO hms_ticket.routine_ticket (server_id, connection_id)
    VALUES (@@GLOBAL.server_id, CONNECTION_ID())
    ON DUPLICATE KEY UPDATE connection_id = connection_id;
END$$
DELIMITER ;
