-- elevation_ticket: one row per connection allowed, for a few seconds, to grant hms_admin
-- or hms_dba or change an account holding one (elevation_guard checks it). Minted by
-- account_elevate from an enrolled console admin's re-entered password (admin_id set), or
-- written directly by the administrative login for a session it vouches for (admin_id
-- NULL, the CLI). Bound to CONNECTION_ID(), which no client chooses; the service account
-- holds nothing on this table.
CREATE TABLE elevation_ticket (
    connection_id BIGINT UNSIGNED NOT NULL,
    admin_id      INT UNSIGNED    NULL,
    expires_at    DATETIME(3)     NOT NULL,
    PRIMARY KEY (connection_id),
    KEY idx_elevation_ticket_expires (expires_at),
    CONSTRAINT fk_elevation_ticket_admin FOREIGN KEY (admin_id)
        REFERENCES console_admin (admin_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
