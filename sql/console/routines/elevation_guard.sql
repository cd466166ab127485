-- elevation_guard(): refuses unless this connection holds an unexpired elevation ticket
-- (account_elevate, or one the administrative login wrote). Called by role_guard before
-- hms_admin or hms_dba is granted, and by account_guard before an account holding one is
-- changed. A ticket serves every call on its connection until it expires (30 seconds), so
-- one re-entered password covers a change that checks twice (re-roling a dba account).
DROP PROCEDURE IF EXISTS elevation_guard;

DELIMITER $$
CREATE PROCEDURE elevation_guard()
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Refuse admin and dba changes without an elevation ticket'
BEGIN
    DECLARE v_count INT DEFAULT 0;

    DELETE FROM elevation_ticket WHERE expires_at < NOW(3);
    SELECT COUNT(*) INTO v_count FROM elevation_ticket WHERE connection_id = CONNECTION_ID();
    IF v_count = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'admin and dba accounts and roles need a console admin''s password re-entered, or the administrative login';
    END IF;
END$$
DELIMITER ;
