-- role_grants(role): SHOW GRANTS for one of the six hms roles.
DROP PROCEDURE IF EXISTS role_grants;

DELIMITER $$
CREATE PROCEDURE role_grants(IN p_role VARCHAR(32))
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'SHOW GRANTS for one of the six hms roles'
BEGIN
    CALL role_guard(p_role);
    SET @hms_account_sql = CONCAT('SHOW GRANTS FOR `', p_role, '`');
    PREPARE hms_account_stmt FROM @hms_account_sql;
    EXECUTE hms_account_stmt;
    DEALLOCATE PREPARE hms_account_stmt;
    SET @hms_account_sql = NULL;
END$$
DELIMITER ;
