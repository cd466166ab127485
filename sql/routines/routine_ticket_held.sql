-- routine_ticket_held(): whether the session is inside one of the routines that alone may
-- write payments and stock movements (record_payment, record_adjustment, stock_receive,
-- stock_transfer, stock_adjust, stock_destroy_expired). Those routines are SQL SECURITY
-- DEFINER and hold the ticket for the length of their work: this session's row in
-- hms_ticket.routine_ticket, inserted after their START TRANSACTION and deleted before their
-- COMMIT (routine_ticket_take, routine_ticket_release). Writing that table takes privileges
-- on the hms_ticket database, which no hms role holds (only accounts with privileges on
-- every database: the administrative login, hms_dba): so every role writes payments and
-- stock movements through the routines, and the triggers of payment and stock_ledger
-- refuse the rest. One primary-key lookup, a plain (consistent) read: it sees the session's
-- own uncommitted row and nobody else's, and locks nothing (a locking read of a missing key
-- would gap-lock the table). The read starts the transaction's snapshot, so a caller that
-- depends on when its snapshot starts calls this after its locks (trg_payment_insert: after
-- the bill's).
-- The older ticket counts too: the temporary table hms_routine_ticket in this database,
-- which routine_ticket_take creates when its definer has no privilege on hms_ticket (the
-- restore account that owns the routines of a database restored from a dump) or the table
-- is missing, and which hms_admin and hms_dba may create by hand, deliberately, as before.
-- Creating it takes CREATE TEMPORARY TABLES on this database, which no other hms role holds.
DROP FUNCTION IF EXISTS routine_ticket_held;

DELIMITER $$
CREATE FUNCTION routine_ticket_held()
RETURNS BOOLEAN
NOT DETERMINISTIC
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'TRUE inside the routines that write payments and stock movements'
BEGIN
    DECLARE v_rows INT DEFAULT 0;
    DECLARE v_missing BOOLEAN DEFAULT FALSE;
    BEGIN
        DECLARE CONTINUE HANDLER FOR 1044, 1142, 1146 SET v_rows = 0;
        SELECT COUNT(*) INTO v_rows FROM hms_ticket.routine_ticket
         WHERE server_id = @@GLOBAL.server_id AND connection_id = CONNECTION_ID();
    END;
    IF v_rows > 0 THEN
        RETURN TRUE;
    END IF;
    BEGIN
        DECLARE CONTINUE HANDLER FOR 1146 SET v_missing = TRUE;
        SELECT COUNT(*) INTO v_rows FROM hms_routine_ticket;
    END;
    RETURN NOT v_missing;
END$$
DELIMITER ;
