-- audit_log, tamper-evident: each entry carries the hash of the entry before it
-- (prev_hash) and its own hash (row_hash) over that and its contents, so an edited,
-- deleted or out-of-order entry breaks the chain at that entry (`hms audit verify`).
-- New entries are chained by trg_audit_log_chain; the entries written before this file
-- are chained here, in audit_id order, from 64 zeros.
-- row_hash = SHA2 of prev_hash, audit_id, occurred_at (microseconds) and each text
-- column as <characters>:<text> (NULL as -), joined by '|' (hms/audit_log.py: entry_hash).
ALTER TABLE audit_log
    ADD COLUMN prev_hash CHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '' AFTER source,
    ADD COLUMN row_hash  CHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '' AFTER prev_hash;

SET @hms_chain = REPEAT('0', 64);
UPDATE audit_log
   SET prev_hash = @hms_chain,
       row_hash = (@hms_chain := SHA2(CONCAT_WS('|', @hms_chain, audit_id,
                       DATE_FORMAT(occurred_at, '%Y-%m-%d %H:%i:%s.%f'),
                       IFNULL(CONCAT(CHAR_LENGTH(actor), ':', actor), '-'),
                       IFNULL(CONCAT(CHAR_LENGTH(action), ':', action), '-'),
                       IFNULL(CONCAT(CHAR_LENGTH(target), ':', target), '-'),
                       IFNULL(CONCAT(CHAR_LENGTH(outcome), ':', outcome), '-'),
                       IFNULL(CONCAT(CHAR_LENGTH(detail), ':', detail), '-'),
                       IFNULL(CONCAT(CHAR_LENGTH(source), ':', source), '-')), 256))
 ORDER BY audit_id;
SET @hms_chain = NULL;
