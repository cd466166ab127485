-- account_set_role(user, host, role): the account now holds exactly `role` among
-- the hms roles, as its default role. The new role is granted before the old ones
-- are revoked, and taken back again when a later step fails. Its open sessions are ended.
DROP PROCEDURE IF EXISTS account_set_role;

DELIMITER $$
CREATE PROCEDURE account_set_role(IN p_user VARCHAR(80), IN p_host VARCHAR(255), IN p_role VARCHAR(32))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Give an hms-managed account exactly one hms role'
BEGIN
    DECLARE v_mariadb BOOLEAN DEFAULT VERSION() LIKE '%MariaDB%';
    DECLARE v_i INT DEFAULT 1;
    DECLARE v_role VARCHAR(32);
    DECLARE v_held INT DEFAULT 0;
    DECLARE v_had_new INT DEFAULT 0;
    DECLARE v_granted BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_granted AND v_had_new = 0 THEN
            CALL run_account_statement(CONCAT('REVOKE `', p_role, '` FROM ', QUOTE(p_user), '@', QUOTE(p_host)));
        END IF;
        RESIGNAL;
    END;

    CALL account_guard(p_user, p_host, 'managed');
    CALL role_guard(p_role);

    IF v_mariadb THEN
        SELECT COUNT(*) INTO v_had_new FROM mysql.roles_mapping
         WHERE User = p_user AND Host = p_host AND Role = p_role;
    ELSE
        SELECT COUNT(*) INTO v_had_new FROM mysql.role_edges
         WHERE TO_USER = p_user AND TO_HOST = p_host AND FROM_USER = p_role AND FROM_HOST = '%';
    END IF;
    IF v_had_new = 0 THEN
        CALL run_account_statement(CONCAT('GRANT `', p_role, '` TO ', QUOTE(p_user), '@', QUOTE(p_host)));
        SET v_granted = TRUE;
    END IF;

    CALL run_account_statement(CONCAT('SET DEFAULT ROLE `', p_role, '`', IF(v_mariadb, ' FOR ', ' TO '),
                                      QUOTE(p_user), '@', QUOTE(p_host)));

    WHILE v_i <= 8 DO
        SET v_role = ELT(v_i, 'hms_admin', 'hms_analyst', 'hms_developer', 'hms_dba', 'hms_auditor', 'hms_qa', 'hms_receptionist', 'hms_doctor');
        IF v_role <> p_role THEN
            IF v_mariadb THEN
                SELECT COUNT(*) INTO v_held FROM mysql.roles_mapping
                 WHERE User = p_user AND Host = p_host AND Role = v_role;
            ELSE
                SELECT COUNT(*) INTO v_held FROM mysql.role_edges
                 WHERE TO_USER = p_user AND TO_HOST = p_host AND FROM_USER = v_role AND FROM_HOST = '%';
            END IF;
            IF v_held > 0 THEN
                CALL run_account_statement(CONCAT('REVOKE `', v_role, '` FROM ', QUOTE(p_user), '@', QUOTE(p_host)));
            END IF;
        END IF;
        SET v_i = v_i + 1;
    END WHILE;
    -- Open sessions keep the roles they had activated: end them.
    CALL account_kill_connections(p_user, p_host);
END$$
DELIMITER ;
