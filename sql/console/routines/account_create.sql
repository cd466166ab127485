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
        IF v_created THEN
            CALL run_account_statement(CONCAT('DROP USER IF EXISTS ', QUOTE(p_user), '@', QUOTE(p_host)));
        END IF;
        RESIGNAL;
    END;

    CALL account_guard(p_user, p_host, 'new');
    CALL role_guard(p_role);
    CALL password_guard(p_password);

    -- The text holds the password: run_account_statement clears its session variable at once.
    CALL run_account_statement(CONCAT('CREATE USER ', QUOTE(p_user), '@', QUOTE(p_host),
                                      ' IDENTIFIED BY ', QUOTE(p_password)));
    SET v_created = TRUE;

    CALL run_account_statement(CONCAT('GRANT `', p_role, '` TO ', QUOTE(p_user), '@', QUOTE(p_host)));

    -- MariaDB says SET DEFAULT ROLE r FOR u, MySQL 8 says TO u (see hms/dialect.py).
    CALL run_account_statement(CONCAT('SET DEFAULT ROLE `', p_role, '`',
                                      IF(VERSION() LIKE '%MariaDB%', ' FOR ', ' TO '),
                                      QUOTE(p_user), '@', QUOTE(p_host)));
    CALL account_require_tls(p_user, p_host);  -- REQUIRE SSL unless the host is this machine
END$$
DELIMITER ;
