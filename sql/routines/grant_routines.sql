-- grant_routines(role, routines): EXECUTE on each routine of `routines` in this database
-- to `role`: the one way the role files grant routines. `routines` is a comma-separated
-- list of routine names and of the named sets below, which list the routines several
-- roles share once (a new scheduling routine is added to @scheduling, not to each role).
--   @read_only      the read-only routines: all SQL SECURITY INVOKER and read-only, so
--                   EXECUTE lets a role see nothing its own SELECT does not
--   @billing_stock  the routines that write invoices, payments and stock movements
--                   (payments and stock move only through them: routine_ticket_held)
--   @scheduling     the scheduling routines (SQL SECURITY DEFINER; they do only what they are for)
-- Each name must be lower-case ASCII (letter, then letters, digits, _), name one routine
-- of this database (its FUNCTION or PROCEDURE kind read from information_schema) and is
-- quoted by one rule, as are the role and the database; anything else is refused whole,
-- before anything is granted.
-- SQL SECURITY INVOKER: GRANT needs the caller's own GRANT OPTION on each routine, so
-- calling this gives nobody more than they could grant by hand (hms_admin, which may
-- EXECUTE everything in this database, is refused). Inside a routine DATABASE() is the
-- routine's database, the one the roles are granted on.
DROP PROCEDURE IF EXISTS grant_routines;

DELIMITER $$
CREATE PROCEDURE grant_routines(IN p_role VARCHAR(64), IN p_routines TEXT)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Grant EXECUTE on a list of routines (names and @sets) to one role'
BEGIN
    DECLARE v_list TEXT;
    DECLARE v_grants TEXT DEFAULT '';
    DECLARE v_name VARCHAR(200);
    DECLARE v_kind VARCHAR(20);
    DECLARE v_kinds INT;
    DECLARE v_i INT DEFAULT 1;
    DECLARE v_count INT;
    DECLARE v_message VARCHAR(255);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET @hms_grant = NULL;
        RESIGNAL;
    END;

    IF p_role IS NULL OR NOT (p_role REGEXP '^[a-z][a-z0-9_]*$' AND CAST(p_role AS BINARY) = CAST(LOWER(p_role) AS BINARY)
                              AND CHAR_LENGTH(p_role) = LENGTH(p_role)) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'grant_routines: name a role in lower-case letters, digits and _';
    END IF;
    -- Blanks dropped, then the sets expanded: a plain comma-separated list of names.
    SET v_list = REPLACE(REPLACE(REPLACE(REPLACE(IFNULL(p_routines, ''), ' ', ''), CHAR(10), ''), CHAR(13), ''), CHAR(9), '');
    SET v_list = REPLACE(REPLACE(REPLACE(v_list,
        '@read_only', CONCAT('calculate_age,calculate_discounted_bill,charge_price_on,doctor_slot_is_free,',
                             'get_doctor_appointments,get_doctor_day_schedule,get_patient_record,search_patients')),
        '@billing_stock', CONCAT('create_invoice_for_visit,record_adjustment,record_payment,stock_adjust,',
                                 'stock_destroy_expired,stock_receive,stock_transfer')),
        '@scheduling', CONCAT('book_slot,cancel_appointment,reschedule_appointment,find_free_slots,waitlist_join,',
                              'waitlist_accept,waitlist_expire_offers,walkin_check_in,walkin_call_next,walkin_finish'));
    IF v_list = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'grant_routines: name at least one routine';
    END IF;
    SET v_count = CHAR_LENGTH(v_list) - CHAR_LENGTH(REPLACE(v_list, ',', '')) + 1;
    -- Every name checked before the first GRANT, so a bad list grants nothing.
    WHILE v_i <= v_count DO
        SET v_name = SUBSTRING_INDEX(SUBSTRING_INDEX(v_list, ',', v_i), ',', -1);
        IF NOT (v_name REGEXP '^[a-z][a-z0-9_]*$' AND CAST(v_name AS BINARY) = CAST(LOWER(v_name) AS BINARY)
                AND CHAR_LENGTH(v_name) = LENGTH(v_name) AND CHAR_LENGTH(v_name) <= 64) THEN
            SET v_message = CONCAT('grant_routines: "', LEFT(v_name, 64), '" is not a routine name or a @set');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        SELECT COUNT(*), MIN(ROUTINE_TYPE) INTO v_kinds, v_kind
          FROM information_schema.ROUTINES
         WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME = v_name;
        IF v_kinds <> 1 THEN
            SET v_message = CONCAT('grant_routines: ', IF(v_kinds = 0, 'no routine ', 'both a function and a procedure named '),
                                   v_name, ' in this database');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        SET v_grants = CONCAT(v_grants, IF(v_grants = '', '', ','), v_kind, ' ', v_name);
        SET v_i = v_i + 1;
    END WHILE;
    SET v_i = 1;
    WHILE v_i <= v_count DO
        SET v_name = SUBSTRING_INDEX(SUBSTRING_INDEX(v_grants, ',', v_i), ',', -1);
        SET @hms_grant = CONCAT('GRANT EXECUTE ON ', SUBSTRING_INDEX(v_name, ' ', 1), ' `',
                                REPLACE(DATABASE(), '`', '``'), '`.`', REPLACE(SUBSTRING_INDEX(v_name, ' ', -1), '`', '``'),
                                '` TO `', REPLACE(p_role, '`', '``'), '`');
        PREPARE hms_grant_stmt FROM @hms_grant;
        EXECUTE hms_grant_stmt;
        DEALLOCATE PREPARE hms_grant_stmt;
        SET v_i = v_i + 1;
    END WHILE;
    SET @hms_grant = NULL;
END$$
DELIMITER ;
