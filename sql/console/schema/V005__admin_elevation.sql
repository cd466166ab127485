-- admin_elevation: what a console admin's re-entered password is checked against before
-- the service account may grant hms_admin or hms_dba, or change an account holding one
-- (sql/console/routines/account_elevate.sql). verifier = SHA-256 of the password's
-- PBKDF2-SHA256 key under `salt` (hms/elevation.py). Written only by the administrative
-- login (`hms console create-admin` enrols the password it sets): the service account may
-- read admin_id and salt, never the verifier and never write, so a stolen service password
-- cannot enrol a password of its own. Deleting the admin deletes its enrolment.
CREATE TABLE admin_elevation (
    admin_id    INT UNSIGNED NOT NULL,
    salt        CHAR(32)     NOT NULL,
    verifier    CHAR(64)     NOT NULL,
    enrolled_at DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (admin_id),
    CONSTRAINT fk_admin_elevation_admin FOREIGN KEY (admin_id)
        REFERENCES console_admin (admin_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
