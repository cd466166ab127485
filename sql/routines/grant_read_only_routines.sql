-- grant_read_only_routines(role): EXECUTE on this database's read-only routines to
-- `role`. The one list of those routines: every role file in sql/roles/ whose role
-- may read through routines calls it, so a new read-only routine is added here once.
-- All of them are SQL SECURITY INVOKER and read-only, so EXECUTE lets a role see
-- nothing its own SELECT does not.
-- SQL SECURITY INVOKER: GRANT needs the caller's own GRANT OPTION on each routine,
-- so calling this gives nobody more than they could grant by hand (hms_admin, which
-- may EXECUTE everything in this database, is refused). Inside a routine DATABASE()
-- is the routine's database, the one the roles are granted on.
DROP PROCEDURE IF EXISTS grant_read_only_routines;

DELIMITER $$
CREATE PROCEDURE grant_read_only_routines(IN p_role VARCHAR(64))
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Grant EXECUTE on the read-only routines to one role'
BEGIN
    DECLARE v_i INT DEFAULT 1;
    DECLARE v_routine VARCHAR(80);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET @hms_grant = NULL;
        RESIGNAL;
    END;

    IF p_role IS NULL OR p_role = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'grant_read_only_routines: name a role';
    END IF;
    -- '<FUNCTION|PROCEDURE> <name>', one per read-only routine; ELT is NULL past the end.
    REPEAT
        SET v_routine = ELT(v_i, 'FUNCTION calculate_age',
                                 'FUNCTION calculate_discounted_bill',
                                 'FUNCTION charge_price_on',
                                 'FUNCTION doctor_slot_is_free',
                                 'PROCEDURE get_doctor_appointments',
                                 'PROCEDURE get_doctor_day_schedule',
                                 'PROCEDURE get_patient_record',
                                 'PROCEDURE search_patients');
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
