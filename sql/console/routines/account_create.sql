-- account_create(user, host, role, password): a new MySQL account holding one hms
-- role as its default role, so the role's privileges are active at login.
-- Runs as its definer, so the caller (the console's service account) needs only
-- EXECUTE here, never CREATE USER. Any failure after CREATE USER drops the new
-- account again: no half-made account is left. Values reach the statements through
-- QUOTE(), role names only after role_guard.
DROP PROCEDURE IF EXISTS account_create;

DELIMITER $$
CREATE PROCEDURE account_create(IN p_user VARCHAR(80), IN p_host VARCHAR(255),
                                IN p_role VARCHAR(32), IN p_password VARCHAR(255))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Create an hms-managed account with one role as its default role'
BEGIN
    DECLARE v_created BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET @hms_account_sql = NULL;
        IF v_created THEN
            SET @hms_account_sql = CONCAT('DROP USER IF EXISTS ', QUOTE(p_user), '@', QUOTE(p_host));
            PREPARE hms_account_stmt FROM @hms_account_sql;
            EXECUTE hms_account_stmt;
            DEALLOCATE PREPARE hms_account_stmt;
            SET @hms_account_sql = NULL;
        END IF;
        RESIGNAL;
    END;

    CALL account_guard(p_user, p_host, 'new');
    CALL role_guard(p_role);
    CALL password_guard(p_password);

    SET @hms_account_sql = CONCAT('CREATE USER ', QUOTE(p_user), '@', QUOTE(p_host),
                                  ' IDENTIFIED BY ', QUOTE(p_password));
    PREPARE hms_account_stmt FROM @hms_account_sql;
    -- The statement text holds the password: clear the session variable at once.
    SET @hms_account_sql = NULL;
    EXECUTE hms_account_stmt;
    DEALLOCATE PREPARE hms_account_stmt;
    SET v_created = TRUE;

    SET @hms_account_sql = CONCAT('GRANT `', p_role, '` TO ', QUOTE(p_user), '@', QUOTE(p_host));
    PREPARE hms_account_stmt FROM @hms_account_sql;
    EXECUTE hms_account_stmt;
    DEALLOCATE PREPARE hms_account_stmt;

    -- MariaDB says SET DEFAULT ROLE r FOR u, MySQL 8 says TO u (see hms/dialect.py).
    SET @hms_account_sql = CONCAT('SET DEFAULT ROLE `', p_role, '`',
                                  IF(VERSION() LIKE '%MariaDB%', ' FOR ', ' TO '),
                                  QUOTE(p_user), '@', QUOTE(p_host));
    PREPARE hms_account_stmt FROM @hms_account_sql;
    EXECUTE hms_account_stmt;
    DEALLOCATE PREPARE hms_account_stmt;
    SET @hms_account_sql = NULL;
END$$
DELIMITER ;
