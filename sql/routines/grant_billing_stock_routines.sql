-- grant_billing_stock_routines(role): EXECUTE on the routines that write invoices,
-- payments and stock movements to `role`. The one list of them: the role files of the
-- roles that write (hms_developer, hms_qa) call it. Payments and stock movements are
-- written only through these routines (routine_ticket_held) by every role but hms_admin
-- and hms_dba, whose ALL PRIVILEGES cover them anyway.
-- SQL SECURITY INVOKER: GRANT needs the caller's own GRANT OPTION on each routine, so
-- calling this gives nobody more than they could grant by hand.
DROP PROCEDURE IF EXISTS grant_billing_stock_routines;

DELIMITER $$
CREATE PROCEDURE grant_billing_stock_routines(IN p_role VARCHAR(64))
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Grant EXECUTE on the invoice, payment and stock routines to one role'
BEGIN
    DECLARE v_i INT DEFAULT 1;
    DECLARE v_routine VARCHAR(80);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET @hms_grant = NULL;
        RESIGNAL;
    END;

    IF p_role IS NULL OR p_role = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'grant_billing_stock_routines: name a role';
    END IF;
    -- '<FUNCTION|PROCEDURE> <name>', one per routine; ELT is NULL past the end.
    REPEAT
        SET v_routine = ELT(v_i, 'PROCEDURE create_invoice_for_visit',
                                 'PROCEDURE record_adjustment',
                                 'PROCEDURE record_payment',
                                 'PROCEDURE stock_adjust',
                                 'PROCEDURE stock_destroy_expired',
                                 'PROCEDURE stock_receive',
                                 'PROCEDURE stock_transfer');
        IF v_routine IS NOT NULL THEN
            SET @hms_grant = CONCAT('GRANT EXECUTE ON ', SUBSTRING_INDEX(v_routine, ' ', 1), ' `',
                                    REPLACE(DATABASE(), '`', '``'), '`.`', SUBSTRING_INDEX(v_routine, ' ', -1),
                                    '` TO `', REPLACE(p_role, '`', '``'), '`');
            PREPARE hms_grant_stmt FROM @hms_grant;
            EXECUTE hms_grant_stmt;
            DEALLOCATE PREPARE hms_grant_stmt;
        END IF;
        SET v_i = v_i + 1;
    UNTIL v_routine IS NULL END REPEAT;
    SET @hms_grant = NULL;
END$$
DELIMITER ;
