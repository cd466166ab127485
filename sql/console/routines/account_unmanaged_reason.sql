-- account_unmanaged_reason(user, host, OUT reason): NULL when user@host is a pure hms-role account,
-- the only kind the console manages: it holds one or more of the six hms roles (without
-- ADMIN OPTION), no other role, and no privilege of its own anywhere (global, database,
-- table, column, routine or proxy), since hms grants an account nothing but its role.
-- Otherwise why not, as a phrase ('holds privileges on the mysql schema'): resetting the
-- password of such an account would hand its extra power to whoever asked.
-- Server-family branches as in account_guard (see hms/dialect.py). A procedure, not a
-- function: with the binary log on, creating a function needs SUPER (or
-- log_bin_trust_function_creators), which the console schema's definer may lack.
DROP PROCEDURE IF EXISTS account_unmanaged_reason;

DELIMITER $$
CREATE PROCEDURE account_unmanaged_reason(IN p_user VARCHAR(80), IN p_host VARCHAR(255),
                                          OUT p_reason VARCHAR(100))
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'Why an account is not a pure hms-role account, or NULL'
checks: BEGIN
    DECLARE v_mariadb BOOLEAN DEFAULT VERSION() LIKE '%MariaDB%';
    DECLARE v_roles INT DEFAULT 0;
    DECLARE v_other_roles INT DEFAULT 0;
    DECLARE v_global INT DEFAULT 0;

    IF v_mariadb THEN
        SELECT COUNT(*) INTO v_roles FROM mysql.roles_mapping
         WHERE User = p_user AND Host = p_host AND Admin_option = 'N'
           AND Role IN ('hms_admin', 'hms_analyst', 'hms_developer', 'hms_dba', 'hms_auditor', 'hms_qa', 'hms_receptionist', 'hms_doctor');
        SELECT COUNT(*) - v_roles INTO v_other_roles FROM mysql.roles_mapping
         WHERE User = p_user AND Host = p_host;
        SELECT COUNT(*) INTO v_global FROM mysql.global_priv
         WHERE User = p_user AND Host = p_host AND JSON_VALUE(Priv, '$.access') <> 0;
    ELSE
        SELECT COUNT(*) INTO v_roles FROM mysql.role_edges
         WHERE TO_USER = p_user AND TO_HOST = p_host AND WITH_ADMIN_OPTION = 'N' AND FROM_HOST = '%'
           AND FROM_USER IN ('hms_admin', 'hms_analyst', 'hms_developer', 'hms_dba', 'hms_auditor', 'hms_qa', 'hms_receptionist', 'hms_doctor');
        SELECT COUNT(*) - v_roles INTO v_other_roles FROM mysql.role_edges
         WHERE TO_USER = p_user AND TO_HOST = p_host;
        SELECT COUNT(*) INTO v_global FROM mysql.user
         WHERE User = p_user AND Host = p_host
           AND 'Y' IN (Select_priv, Insert_priv, Update_priv, Delete_priv, Create_priv, Drop_priv, Reload_priv,
                       Shutdown_priv, Process_priv, File_priv, Grant_priv, References_priv, Index_priv, Alter_priv,
                       Show_db_priv, Super_priv, Create_tmp_table_priv, Lock_tables_priv, Execute_priv,
                       Repl_slave_priv, Repl_client_priv, Create_view_priv, Show_view_priv, Create_routine_priv,
                       Alter_routine_priv, Create_user_priv, Event_priv, Trigger_priv, Create_tablespace_priv,
                       Create_role_priv, Drop_role_priv);
        SET v_global = v_global + (SELECT COUNT(*) FROM mysql.global_grants WHERE USER = p_user AND HOST = p_host);
    END IF;

    SET p_reason = NULL;
    IF v_other_roles > 0 THEN
        SET p_reason = 'holds a role hms did not grant (another role, or one WITH ADMIN OPTION)';
        LEAVE checks;
    END IF;
    IF v_roles = 0 THEN
        SET p_reason = 'holds no hms role';
        LEAVE checks;
    END IF;
    IF (SELECT COUNT(*) FROM mysql.db WHERE User = p_user AND Host = p_host AND 'mysql' LIKE Db)
       + (SELECT COUNT(*) FROM mysql.tables_priv WHERE User = p_user AND Host = p_host AND Db = 'mysql')
       + (SELECT COUNT(*) FROM mysql.columns_priv WHERE User = p_user AND Host = p_host AND Db = 'mysql')
       + (SELECT COUNT(*) FROM mysql.procs_priv WHERE User = p_user AND Host = p_host AND Db = 'mysql') > 0 THEN
        SET p_reason = 'holds privileges on the mysql schema';
        LEAVE checks;
    END IF;
    IF v_global > 0 THEN
        SET p_reason = 'holds global privileges of its own';
        LEAVE checks;
    END IF;
    IF (SELECT COUNT(*) FROM mysql.db WHERE User = p_user AND Host = p_host)
       + (SELECT COUNT(*) FROM mysql.tables_priv WHERE User = p_user AND Host = p_host)
       + (SELECT COUNT(*) FROM mysql.columns_priv WHERE User = p_user AND Host = p_host)
       + (SELECT COUNT(*) FROM mysql.procs_priv WHERE User = p_user AND Host = p_host)
       + (SELECT COUNT(*) FROM mysql.proxies_priv WHERE User = p_user AND Host = p_host) > 0 THEN
        SET p_reason = 'holds privileges of its own that hms did not grant';
        LEAVE checks;
    END IF;
END$$
DELIMITER ;
