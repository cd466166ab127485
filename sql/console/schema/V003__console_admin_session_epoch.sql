-- console_admin.session_epoch: a random value every console session of the admin is
-- bound to (console/auth.py puts it in the session's login id). Logout and a password
-- reset replace it, so every copy of a session cookie stops working at once; a deleted
-- admin has none. Empty until the admin's first logout or reset.
ALTER TABLE console_admin
    ADD COLUMN session_epoch CHAR(32) NOT NULL DEFAULT '' AFTER password_hash;
