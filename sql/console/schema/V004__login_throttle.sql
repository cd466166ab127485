-- login_throttle: console login attempts per (admin name, client address), counted
-- before the password is checked (hms/login_throttle.py), so concurrent guesses cannot
-- all be checked, and per address, so a stranger guessing at `admin` slows only
-- themselves. A successful login deletes its row; rows idle for a day are pruned.
CREATE TABLE login_throttle (
    username        VARCHAR(200) NOT NULL,
    source          VARCHAR(100) NOT NULL,
    failures        INT UNSIGNED NOT NULL DEFAULT 0,
    last_attempt_at DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (username, source),
    KEY idx_login_throttle_last_attempt (last_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
