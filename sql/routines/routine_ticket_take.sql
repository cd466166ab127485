-- routine_ticket_take(): take the ticket routine_ticket_held looks for, the temporary table
-- hms_routine_ticket; routine_ticket_release() gives it back. The one definition of the
-- ticket, called by the routines that alone write payments and stock movements (at the
-- start of their work, and in their error handlers and at the end to release it).
-- SQL SECURITY INVOKER and granted to no role: called from those SQL SECURITY DEFINER
-- routines it runs as their definer; called by anyone else it needs their own CREATE
-- TEMPORARY TABLES, which only hms_admin and hms_dba hold (and they may write anyway).
DROP PROCEDURE IF EXISTS routine_ticket_take;

DELIMITER $$
CREATE PROCEDURE routine_ticket_take()
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Take the ticket of the payment and stock routines (routine_ticket_held)'
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS hms_routine_ticket (held TINYINT) ENGINE=MEMORY;
END$$
DELIMITER ;
