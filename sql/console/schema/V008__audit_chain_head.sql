-- audit_chain_head: the newest entry of the audit log's hash chain (one row). The
-- chaining trigger locks it, so entries are chained one at a time in audit_id order,
-- and `hms audit verify` compares the chain's end with it, so deleting the newest
-- entries is noticed too. Only the trigger (as its definer) writes it.
CREATE TABLE audit_chain_head (
    chain_id  TINYINT UNSIGNED NOT NULL,
    last_id   BIGINT UNSIGNED  NOT NULL,
    last_hash CHAR(64) CHARACTER SET ascii NOT NULL,
    PRIMARY KEY (chain_id),
    CONSTRAINT chk_audit_chain_head_single CHECK (chain_id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO audit_chain_head (chain_id, last_id, last_hash)
SELECT 1, IFNULL(MAX(audit_id), 0),
       IFNULL((SELECT row_hash FROM audit_log ORDER BY audit_id DESC LIMIT 1), REPEAT('0', 64))
  FROM audit_log;
