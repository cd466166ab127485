-- role_grants(role): SHOW GRANTS for one of the six hms roles.
DROP PROCEDURE IF EXISTS role_grants;

DELIMITER $$
CREATE PROCEDURE role_grants(IN p_role VARCHAR(32))
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'SHOW GRANTS for one of the six hms roles'
BEGIN
    CALL role_name_guard(p_role);
    CALL run_account_statement(CONCAT('SHOW GRANTS FOR `', p_role, '`'));
END$$
DELIMITER ;
