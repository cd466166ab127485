-- Audit log entries are never deleted: a DELETE is refused (a DBA who drops this
-- trigger first is still caught by the hash chain, `hms audit verify`).
DROP TRIGGER IF EXISTS trg_audit_log_no_delete;

DELIMITER $$
CREATE TRIGGER trg_audit_log_no_delete
BEFORE DELETE ON audit_log
FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit log entries cannot be deleted';
END$$
DELIMITER ;
