-- routine_ticket_held(): whether the session is inside one of the routines that alone may
-- write payments and stock movements (record_payment, record_adjustment, stock_receive,
-- stock_transfer, stock_adjust, stock_destroy_expired). Those routines are SQL SECURITY
-- DEFINER and hold the ticket, the temporary table hms_routine_ticket in this database
-- (taken and released by routine_ticket_take and routine_ticket_release),
-- for the length of their work. Creating a temporary table here takes CREATE TEMPORARY
-- TABLES on this database, which hms_admin and hms_dba hold and no other hms role does:
-- so everyone but admin and dba writes payments and stock movements through the
-- routines, and the triggers of payment and stock_ledger refuse the rest.
DROP FUNCTION IF EXISTS routine_ticket_held;

DELIMITER $$
CREATE FUNCTION routine_ticket_held()
RETURNS BOOLEAN
NOT DETERMINISTIC
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'TRUE inside the routines that write payments and stock movements'
BEGIN
    DECLARE v_missing BOOLEAN DEFAULT FALSE;
    DECLARE v_rows INT;
    DECLARE CONTINUE HANDLER FOR 1146 SET v_missing = TRUE;
    SELECT COUNT(*) INTO v_rows FROM hms_routine_ticket;
    RETURN NOT v_missing;
END$$
DELIMITER ;
