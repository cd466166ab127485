-- console_admin: the people who may log in to the RBAC web console.
-- Lives in <database>_console, where none of the six hms roles can read it: an
-- analyst must never see a password hash. Passwords are werkzeug.security hashes;
-- there is no default admin (`hms console create-admin` makes one).
CREATE TABLE console_admin (
    admin_id      INT UNSIGNED NOT NULL AUTO_INCREMENT,
    username      VARCHAR(64)  NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    created_at    DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_login_at DATETIME     NULL,
    PRIMARY KEY (admin_id),
    UNIQUE KEY uq_console_admin_username (username),
    CONSTRAINT chk_console_admin_username CHECK (CHAR_LENGTH(username) BETWEEN 3 AND 64)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
