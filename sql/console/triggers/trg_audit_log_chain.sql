-- Chains every new audit_log entry to the newest one (V007__audit_log_chain.sql says
-- how the hash is made; hms/audit_log.py: entry_hash computes the same in Python).
-- The head row is locked, so concurrent writers are chained one after the other, and
-- the entry takes the next audit_id whatever the INSERT said.
DROP TRIGGER IF EXISTS trg_audit_log_chain;

DELIMITER $$
CREATE TRIGGER trg_audit_log_chain
BEFORE INSERT ON audit_log
FOR EACH ROW
BEGIN
    DECLARE v_last_id BIGINT UNSIGNED;
    DECLARE v_last_hash CHAR(64) CHARACTER SET ascii;
    SELECT last_id, last_hash INTO v_last_id, v_last_hash
      FROM audit_chain_head WHERE chain_id = 1 FOR UPDATE;
    SET NEW.audit_id = v_last_id + 1;
    SET NEW.occurred_at = IFNULL(NEW.occurred_at, NOW(6));
    SET NEW.prev_hash = v_last_hash;
    SET NEW.row_hash = SHA2(CONCAT_WS('|', v_last_hash, NEW.audit_id,
                            DATE_FORMAT(NEW.occurred_at, '%Y-%m-%d %H:%i:%s.%f'),
                            IFNULL(CONCAT(CHAR_LENGTH(NEW.actor), ':', NEW.actor), '-'),
                            IFNULL(CONCAT(CHAR_LENGTH(NEW.action), ':', NEW.action), '-'),
                            IFNULL(CONCAT(CHAR_LENGTH(NEW.target), ':', NEW.target), '-'),
                            IFNULL(CONCAT(CHAR_LENGTH(NEW.outcome), ':', NEW.outcome), '-'),
                            IFNULL(CONCAT(CHAR_LENGTH(NEW.detail), ':', NEW.detail), '-'),
                            IFNULL(CONCAT(CHAR_LENGTH(NEW.source), ':', NEW.source), '-')), 256);
    UPDATE audit_chain_head SET last_id = NEW.audit_id, last_hash = NEW.row_hash WHERE chain_id = 1;
END$$
DELIMITER ;
