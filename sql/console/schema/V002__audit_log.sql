-- audit_log: every action taken through the console or the account commands:
-- who, when, what, on what, from where, and how it ended. Never a password.
-- The Auditor role may read it (sql/roles/hms_auditor.sql); no other hms role can.
CREATE TABLE audit_log (
    audit_id    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    occurred_at DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    actor       VARCHAR(100)    NOT NULL,
    action      VARCHAR(64)     NOT NULL,
    target      VARCHAR(200)    NULL,
    outcome     ENUM('success', 'failure', 'refused') NOT NULL,
    detail      VARCHAR(1000)   NULL,
    source      VARCHAR(100)    NULL,
    PRIMARY KEY (audit_id),
    KEY idx_audit_log_occurred_at (occurred_at),
    KEY idx_audit_log_action (action, occurred_at),
    KEY idx_audit_log_actor (actor, occurred_at),
    KEY idx_audit_log_source (source, occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
