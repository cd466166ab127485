-- role_name_guard(role): refuses any role but the eight hms roles, so no procedure here
-- can hand out or show a role (or privilege) that is not on the fixed list.
DROP PROCEDURE IF EXISTS role_name_guard;

DELIMITER $$
CREATE PROCEDURE role_name_guard(IN p_role VARCHAR(32))
NO SQL
SQL SECURITY DEFINER
COMMENT 'Refuse roles outside the eight hms roles'
BEGIN
    IF p_role IS NULL OR p_role COLLATE utf8mb4_bin NOT IN
       ('hms_admin', 'hms_analyst', 'hms_developer', 'hms_dba', 'hms_auditor', 'hms_qa', 'hms_receptionist', 'hms_doctor') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'role must be one of hms_admin, hms_analyst, hms_developer, hms_dba, hms_auditor, hms_qa, hms_receptionist, hms_doctor';
    END IF;
END$$
DELIMITER ;
