-- routine_ticket_release(): give back the ticket routine_ticket_take() took (see there):
-- delete this session's row of hms_ticket.routine_ticket, in the routine's transaction,
-- before its COMMIT. Safe to call when no ticket is held, as the error handlers do after
-- their ROLLBACK: the row is looked up first (a plain read) and deleted only when there,
-- since a DELETE of a missing key would gap-lock the table until the session's
-- transaction ends and hold up every other session's take. With the fallback ticket
-- (no privilege on hms_ticket, or no such table) it drops the temporary table.
DROP PROCEDURE IF EXISTS routine_ticket_release;

DELIMITER $$
CREATE PROCEDURE routine_ticket_release()
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Give back the ticket of the payment and stock routines'
BEGIN
    DECLARE v_rows INT DEFAULT 0;
    DECLARE v_fallback BOOLEAN DEFAULT FALSE;
    DECLARE CONTINUE HANDLER FOR 1044, 1142, 1146 SET v_fallback = TRUE;
    SELECT COUNT(*) INTO v_rows FROM hms_ticket.routine_ticket
     WHERE server_id = @@GLOBAL.server_id AND connection_id = CONNECTION_ID();
    IF v_rows > 0 THEN
        DELETE FROM hms_ticket.routine_ticket WHERE server_id = @@GLOBAL.server_id AND connection_id = CONNECTION_ID();
    END IF;
    IF v_fallback THEN
        DROP TEMPORARY TABLE IF EXISTS hms_routine_ticket;
    END IF;
END$$
DELIMITER ;
