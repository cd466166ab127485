-- account_elevate(admin_id, key): lets this connection, for 30 seconds, grant hms_admin or
-- hms_dba and change accounts holding one, when `key` proves the console admin's enrolled
-- password: SHA-256 of the key must equal admin_elevation.verifier. The key is the
-- password's PBKDF2 under the admin's salt (hms/elevation.py), so the password itself never
-- reaches the server, and nothing the service account can read or write produces a key: a
-- stolen service password alone mints no ticket. The ticket is bound to CONNECTION_ID().
-- A read-only server (a replica, or a primary fenced for a switchover) writes no ticket: the
-- definer's own privileges would otherwise pass read_only, as in run_account_statement.
DROP PROCEDURE IF EXISTS account_elevate;

DELIMITER $$
CREATE PROCEDURE account_elevate(IN p_admin_id INT UNSIGNED, IN p_key VARCHAR(64))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Allow this connection to manage admin and dba accounts, on a re-entered password'
BEGIN
    DECLARE v_match INT DEFAULT 0;

    IF @@GLOBAL.read_only THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'this server is read-only (a replica): manage accounts on the primary';
    END IF;
    IF p_key IS NULL OR CHAR_LENGTH(p_key) <> 64 OR p_key REGEXP '[^0-9A-Fa-f]' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the re-entered password key must be 64 hexadecimal digits';
    END IF;
    SELECT COUNT(*) INTO v_match FROM admin_elevation
     WHERE admin_id = p_admin_id AND verifier = SHA2(UNHEX(p_key), 256);
    IF v_match = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'the re-entered password does not match that console admin''s enrolled password';
    END IF;

    DELETE FROM elevation_ticket WHERE expires_at < NOW(3);
    INSERT INTO elevation_ticket (connection_id, admin_id, expires_at)
    VALUES (CONNECTION_ID(), p_admin_id, NOW(3) + INTERVAL 30 SECOND)
    ON DUPLICATE KEY UPDATE admin_id = p_admin_id, expires_at = NOW(3) + INTERVAL 30 SECOND;
END$$
DELIMITER ;
