-- account_guard(user, host, mode): refuses any account the console must not touch.
-- Every account procedure in this schema calls it first, so even a caller that
-- skips the Python checks (a compromised console) cannot reach root, a system
-- account, the service account or the definer. Modes:
--   'new'     the name must pass the pattern and be free at that host, and no account
--             of that name under another host may be one hms does not manage (a new
--             'app'@'127.0.0.1' would shadow a foreign 'app'@'%');
--   'read'    the account must exist and be a pure hms-role account
--             (account_unmanaged_reason: hms roles only, no privilege of its own);
--   'managed' as 'read', and an account holding hms_admin or hms_dba also needs an
--             elevation ticket on this connection (elevation_guard): every procedure
--             that changes an account passes 'managed'.
-- Server-family branches: MariaDB keeps accounts in mysql.global_priv and roles in
-- mysql.roles_mapping, MySQL 8 in mysql.user and mysql.role_edges (see hms/dialect.py,
-- which documents the same split).
DROP PROCEDURE IF EXISTS account_guard;

DELIMITER $$
CREATE PROCEDURE account_guard(IN p_user VARCHAR(80), IN p_host VARCHAR(255), IN p_mode VARCHAR(10))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Refuse accounts the console must not touch'
BEGIN
    DECLARE v_count INT DEFAULT 0;
    DECLARE v_other_host VARCHAR(255);
    DECLARE v_reason VARCHAR(100);
    DECLARE v_message VARCHAR(255);
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
        -- The same name under another host that hms does not manage: a new account would
        -- shadow it for the clients its host matches. Each host in turn (MariaDB keeps
        -- roles at host '', which Host > '' skips).
        SET v_other_host = '';
        hosts: LOOP
            IF v_mariadb THEN
                SET v_other_host = (SELECT MIN(Host) FROM mysql.global_priv
                                     WHERE User = p_user AND Host > v_other_host AND Host <> p_host);
            ELSE
                SET v_other_host = (SELECT MIN(Host) FROM mysql.user
                                     WHERE User = p_user AND Host > v_other_host AND Host <> p_host);
            END IF;
            IF v_other_host IS NULL THEN
                LEAVE hosts;
            END IF;
            CALL account_unmanaged_reason(p_user, v_other_host, v_reason);
            IF v_reason IS NOT NULL THEN
                LEAVE hosts;
            END IF;
        END LOOP;
        IF v_other_host IS NOT NULL THEN
            SET v_message = LEFT(CONCAT('''', p_user, '''@''', v_other_host,
                                        ''' exists and is not managed by hms: choose another name'), 128);
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
    ELSEIF p_mode IN ('managed', 'read') THEN
        IF v_count = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no such account';
        END IF;
        CALL account_unmanaged_reason(p_user, p_host, v_reason);
        IF v_reason IS NOT NULL THEN
            SET v_message = CONCAT('that account ', v_reason, ', so it is not managed here');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        -- Changing an admin or dba account (a new password hands over its power) needs what
        -- granting those roles needs: an elevation ticket on this connection.
        IF p_mode = 'managed' THEN
            IF v_mariadb THEN
                SELECT COUNT(*) INTO v_count FROM mysql.roles_mapping
                 WHERE User = p_user AND Host = p_host AND Role IN ('hms_admin', 'hms_dba');
            ELSE
                SELECT COUNT(*) INTO v_count FROM mysql.role_edges
                 WHERE TO_USER = p_user AND TO_HOST = p_host AND FROM_USER IN ('hms_admin', 'hms_dba');
            END IF;
            IF v_count > 0 THEN
                CALL elevation_guard();
            END IF;
        END IF;
    ELSE
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'account_guard: mode must be new, managed or read';
    END IF;
END$$
DELIMITER ;
