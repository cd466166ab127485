-- account_guard(user, host, mode): refuses any account the console must not touch.
-- Every account procedure in this schema calls it first, so even a caller that
-- skips the Python checks (a compromised console) cannot reach root, a system
-- account, the service account or the definer. mode 'new': the name must pass the
-- pattern and be free. mode 'managed': the account must exist, hold an hms role
-- and hold no global privilege of its own.
-- The only server-family branch in sql/: MariaDB keeps accounts in
-- mysql.global_priv and roles in mysql.roles_mapping, MySQL 8 in mysql.user and
-- mysql.role_edges (see hms/dialect.py, which documents the same split).
DROP PROCEDURE IF EXISTS account_guard;

DELIMITER $$
CREATE PROCEDURE account_guard(IN p_user VARCHAR(80), IN p_host VARCHAR(255), IN p_mode VARCHAR(10))
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'Refuse accounts the console must not touch'
BEGIN
    DECLARE v_count INT DEFAULT 0;
    DECLARE v_mariadb BOOLEAN DEFAULT VERSION() LIKE '%MariaDB%';

    -- CHAR_LENGTH = LENGTH keeps the names ASCII; the negated classes catch a
    -- trailing newline, which `$` in a regular expression would let through.
    IF p_user IS NULL OR CHAR_LENGTH(p_user) NOT BETWEEN 1 AND 32 OR CHAR_LENGTH(p_user) <> LENGTH(p_user)
       OR p_user REGEXP '[^A-Za-z0-9_]' OR LEFT(p_user, 1) NOT REGEXP '[A-Za-z]' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'account name must be 1-32 letters, digits or underscores, starting with a letter';
    END IF;
    IF p_host IS NULL OR CHAR_LENGTH(p_host) NOT BETWEEN 1 AND 60 OR CHAR_LENGTH(p_host) <> LENGTH(p_host)
       OR p_host REGEXP '[^A-Za-z0-9%._-]' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'host must be 1-60 letters, digits, dots, hyphens, underscores or %';
    END IF;
    IF LOWER(p_user) IN ('root', 'admin', 'public', 'none', 'mysql', 'mariadb')
       OR LOWER(p_user) LIKE 'hms\_%' OR LOWER(p_user) LIKE 'mysql%' OR LOWER(p_user) LIKE 'mariadb%'
       OR p_user = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)
       OR p_user = SUBSTRING_INDEX(SESSION_USER(), '@', 1) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'that account name is reserved (root, system, hms_* and service accounts are not managed here)';
    END IF;

    IF v_mariadb THEN
        SELECT COUNT(*) INTO v_count FROM mysql.global_priv WHERE User = p_user AND Host = p_host;
    ELSE
        SELECT COUNT(*) INTO v_count FROM mysql.user WHERE User = p_user AND Host = p_host;
    END IF;

    IF p_mode = 'new' THEN
        IF v_count > 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'an account with that name and host already exists';
        END IF;
    ELSEIF p_mode = 'managed' THEN
        IF v_count = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no such account';
        END IF;
        IF v_mariadb THEN
            SELECT COUNT(*) INTO v_count FROM mysql.roles_mapping
             WHERE User = p_user AND Host = p_host AND Admin_option = 'N'
               AND Role IN ('hms_admin', 'hms_analyst', 'hms_developer', 'hms_dba', 'hms_auditor', 'hms_qa');
        ELSE
            SELECT COUNT(*) INTO v_count FROM mysql.role_edges
             WHERE TO_USER = p_user AND TO_HOST = p_host AND FROM_HOST = '%'
               AND FROM_USER IN ('hms_admin', 'hms_analyst', 'hms_developer', 'hms_dba', 'hms_auditor', 'hms_qa');
        END IF;
        IF v_count = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'that account holds no hms role, so it is not managed here';
        END IF;
        IF v_mariadb THEN
            SELECT COUNT(*) INTO v_count FROM mysql.global_priv
             WHERE User = p_user AND Host = p_host AND JSON_VALUE(Priv, '$.access') <> 0;
        ELSE
            SELECT COUNT(*) INTO v_count FROM mysql.user
             WHERE User = p_user AND Host = p_host
               AND 'Y' IN (Super_priv, Create_user_priv, Grant_priv, File_priv, Process_priv, Shutdown_priv,
                           Reload_priv, Select_priv, Insert_priv, Update_priv, Delete_priv, Drop_priv);
            IF v_count = 0 THEN
                SELECT COUNT(*) INTO v_count FROM mysql.global_grants WHERE USER = p_user AND HOST = p_host;
            END IF;
        END IF;
        IF v_count > 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                'that account holds global privileges of its own, so it is not managed here';
        END IF;
    ELSE
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'account_guard: mode must be new or managed';
    END IF;
END$$
DELIMITER ;
