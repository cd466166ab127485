-- account_create(user, host, role, password_hash): a new MySQL account holding one hms
-- role as its default role, so the role's privileges are active at login. Only the
-- password's hash comes in (password_guard), and only the hash goes out in the
-- CREATE USER the binary log records: hms/dialect.py identified() has the same split.
-- Runs as its definer, so the caller (the console's service account) needs only
-- EXECUTE here, never CREATE USER. Any failure after CREATE USER drops the new
-- account again: no half-made account is left. Values reach the statements through
-- QUOTE(), role names only after role_guard.
DROP PROCEDURE IF EXISTS account_create;

DELIMITER $$
CREATE PROCEDURE account_create(IN p_user VARCHAR(80), IN p_host VARCHAR(255),
                                IN p_role VARCHAR(32), IN p_password_hash VARCHAR(255))
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
    CALL password_guard(p_password_hash);

    -- MariaDB stores mysql_native_password's hash, MySQL 8 caching_sha2_password's.
    CALL run_account_statement(CONCAT('CREATE USER ', QUOTE(p_user), '@', QUOTE(p_host),
                                      IF(VERSION() LIKE '%MariaDB%', ' IDENTIFIED BY PASSWORD ',
                                         ' IDENTIFIED WITH caching_sha2_password AS '),
                                      QUOTE(p_password_hash)));
    SET v_created = TRUE;

    CALL run_account_statement(CONCAT('GRANT `', p_role, '` TO ', QUOTE(p_user), '@', QUOTE(p_host)));

    -- MariaDB says SET DEFAULT ROLE r FOR u, MySQL 8 says TO u (see hms/dialect.py).
    CALL run_account_statement(CONCAT('SET DEFAULT ROLE `', p_role, '`',
                                      IF(VERSION() LIKE '%MariaDB%', ' FOR ', ' TO '),
                                      QUOTE(p_user), '@', QUOTE(p_host)));
    CALL account_require_tls(p_user, p_host);  -- REQUIRE SSL unless the host is this machine
END$$
DELIMITER ;
