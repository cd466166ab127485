-- routine_ticket_release(): give back the ticket routine_ticket_take() took (see there).
-- Safe to call when no ticket is held, as the error handlers do.
DROP PROCEDURE IF EXISTS routine_ticket_release;

DELIMITER $$
CREATE PROCEDURE routine_ticket_release()
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Give back the ticket of the payment and stock routines'
BEGIN
    DROP TEMPORARY TABLE IF EXISTS hms_routine_ticket;
END$$
DELIMITER ;
