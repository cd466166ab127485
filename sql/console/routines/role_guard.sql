-- role_guard(role): the check before a role is granted. Refuses any role but the six hms
-- roles (role_name_guard), and hms_admin (ALL on the database) or hms_dba (ALL on *.*)
-- unless this connection holds an elevation ticket (elevation_guard): the service
-- account alone grants only the four roles that cannot administer anything.
DROP PROCEDURE IF EXISTS role_guard;

DELIMITER $$
CREATE PROCEDURE role_guard(IN p_role VARCHAR(32))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Refuse roles outside the six, and admin or dba without a ticket'
BEGIN
    CALL role_name_guard(p_role);
    IF p_role COLLATE utf8mb4_bin IN ('hms_admin', 'hms_dba') THEN
        CALL elevation_guard();
    END IF;
END$$
DELIMITER ;
