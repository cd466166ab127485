-- account_grants(user, host): the grants of an hms-managed account, one line each, in
-- SHOW GRANTS form but never with its authentication: SHOW GRANTS on MariaDB puts the
-- password hash (IDENTIFIED BY PASSWORD '*...', IDENTIFIED VIA ... USING '...') in the
-- USAGE line, and the service account must never receive one. A result set of SHOW
-- cannot be filtered inside a routine, so the lines are built from the grant tables:
-- account_guard ('read') has already refused any account that is not a pure hms-role
-- account, so an account's grants are exactly USAGE, its hms roles and (MariaDB) its
-- default role. MariaDB's USAGE line carries the TLS requirement hms sets (REQUIRE SSL,
-- REQUIRE X509); resource limits are not shown. Reading the grant tables needs the definer's SELECT on mysql, which the
-- service account must not have.
DROP PROCEDURE IF EXISTS account_grants;

DELIMITER $$
CREATE PROCEDURE account_grants(IN p_user VARCHAR(80), IN p_host VARCHAR(255))
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'Grants of an hms-managed account, without its password hash'
BEGIN
    DECLARE v_grantee VARCHAR(200);

    CALL account_guard(p_user, p_host, 'read');
    -- Names passed the guard's patterns: no backtick can occur in them.
    SET v_grantee = CONCAT('`', p_user, '`@`', p_host, '`');
    IF VERSION() LIKE '%MariaDB%' THEN
        SELECT grant_line FROM (
            SELECT 1 AS part, Role AS role_name, CONCAT('GRANT `', Role, '` TO ', v_grantee) AS grant_line
              FROM mysql.roles_mapping WHERE User = p_user AND Host = p_host
            UNION ALL
            -- with its TLS requirement, as MariaDB's SHOW GRANTS gives it (REQUIRE SSL / X509)
            SELECT 2, '', CONCAT('GRANT USAGE ON *.* TO ', v_grantee,
                                 COALESCE(ELT(JSON_VALUE(Priv, '$.ssl_type'), ' REQUIRE SSL', ' REQUIRE X509'), ''))
              FROM mysql.global_priv WHERE User = p_user AND Host = p_host
            UNION ALL
            SELECT 3, '', CONCAT('SET DEFAULT ROLE `', JSON_VALUE(Priv, '$.default_role'), '` FOR ', v_grantee)
              FROM mysql.global_priv
             WHERE User = p_user AND Host = p_host AND COALESCE(JSON_VALUE(Priv, '$.default_role'), '') <> ''
        ) AS granted ORDER BY part, role_name;
    ELSE
        SELECT grant_line FROM (
            SELECT 1 AS part, '' AS role_name, CONCAT('GRANT USAGE ON *.* TO ', v_grantee) AS grant_line
            UNION ALL
            SELECT 2, FROM_USER, CONCAT('GRANT `', FROM_USER, '`@`', FROM_HOST, '` TO ', v_grantee)
              FROM mysql.role_edges WHERE TO_USER = p_user AND TO_HOST = p_host
        ) AS granted ORDER BY part, role_name;
    END IF;
END$$
DELIMITER ;
