-- account_list(): one row per hms-managed account, read from the server's own
-- grant tables: name, host, locked (0/1), roles and default roles (comma lists), and the
-- password's expiry: the interval in days (its own, else the server's default_password_lifetime;
-- NULL: never), when it was last set, and whether
-- it has expired (the interval, or the server's default_password_lifetime, has passed).
-- A definer procedure, so the service account lists accounts without SELECT on
-- the mysql schema (which would show it every password hash).
DROP PROCEDURE IF EXISTS account_list;

DELIMITER $$
CREATE PROCEDURE account_list()
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'List hms-managed accounts with roles, default roles and lock state'
BEGIN
    IF VERSION() LIKE '%MariaDB%' THEN
        SELECT g.User AS name, g.Host AS host,
               IF(COALESCE(JSON_EXTRACT(g.Priv, '$.account_locked'), 'false') = 'true', 1, 0) AS locked,
               GROUP_CONCAT(DISTINCT r.Role ORDER BY r.Role SEPARATOR ',') AS roles,
               COALESCE(JSON_VALUE(g.Priv, '$.default_role'), '') AS default_roles,
               NULLIF(IF(CAST(COALESCE(JSON_VALUE(g.Priv, '$.password_lifetime'), -1) AS SIGNED) = -1,
                         @@global.default_password_lifetime,
                         CAST(JSON_VALUE(g.Priv, '$.password_lifetime') AS SIGNED)), 0) AS expire_days,
               FROM_UNIXTIME(NULLIF(CAST(JSON_VALUE(g.Priv, '$.password_last_changed') AS SIGNED), 0))
                   AS password_changed,
               COALESCE(CAST(JSON_VALUE(g.Priv, '$.password_last_changed') AS SIGNED) = 0
               OR UNIX_TIMESTAMP() > CAST(JSON_VALUE(g.Priv, '$.password_last_changed') AS SIGNED) + 86400 *
                  NULLIF(IF(CAST(COALESCE(JSON_VALUE(g.Priv, '$.password_lifetime'), -1) AS SIGNED) = -1,
                            @@global.default_password_lifetime,
                            CAST(JSON_VALUE(g.Priv, '$.password_lifetime') AS SIGNED)), 0), 0) AS password_expired
          FROM mysql.global_priv AS g
          JOIN mysql.roles_mapping AS r
            ON r.User = g.User AND r.Host = g.Host AND r.Admin_option = 'N'
           AND r.Role IN ('hms_admin', 'hms_analyst', 'hms_developer', 'hms_dba', 'hms_auditor', 'hms_qa', 'hms_receptionist', 'hms_doctor')
         WHERE g.User <> 'root' AND g.User NOT LIKE 'hms\_%' AND g.User NOT LIKE 'mysql%'
           AND g.User NOT LIKE 'mariadb%'
         GROUP BY g.User, g.Host, g.Priv
         ORDER BY g.User, g.Host;
    ELSE
        SELECT u.User AS name, u.Host AS host, IF(u.account_locked = 'Y', 1, 0) AS locked,
               GROUP_CONCAT(DISTINCT e.FROM_USER ORDER BY e.FROM_USER SEPARATOR ',') AS roles,
               COALESCE((SELECT GROUP_CONCAT(d.DEFAULT_ROLE_USER ORDER BY d.DEFAULT_ROLE_USER SEPARATOR ',')
                           FROM mysql.default_roles AS d
                          WHERE d.USER = u.User AND d.HOST = u.Host), '') AS default_roles,
               NULLIF(COALESCE(u.password_lifetime, @@global.default_password_lifetime), 0) AS expire_days, u.password_last_changed AS password_changed,
               COALESCE(u.password_expired = 'Y'
               OR NOW() > u.password_last_changed + INTERVAL
                  NULLIF(COALESCE(u.password_lifetime, @@global.default_password_lifetime), 0) DAY, 0)
                   AS password_expired
          FROM mysql.user AS u
          JOIN mysql.role_edges AS e
            ON e.TO_USER = u.User AND e.TO_HOST = u.Host AND e.FROM_HOST = '%'
           AND e.FROM_USER IN ('hms_admin', 'hms_analyst', 'hms_developer', 'hms_dba', 'hms_auditor', 'hms_qa', 'hms_receptionist', 'hms_doctor')
         WHERE u.User <> 'root' AND u.User NOT LIKE 'hms\_%' AND u.User NOT LIKE 'mysql%'
           AND u.User NOT LIKE 'mariadb%'
         GROUP BY u.User, u.Host, u.account_locked, u.password_lifetime, u.password_last_changed,
                  u.password_expired
         ORDER BY u.User, u.Host;
    END IF;
END$$
DELIMITER ;
