-- console_admin.locked_at: when set, the admin cannot log in and their open sessions end
-- at their next request (hms/console_admins.py, the console's Console admins page). NULL:
-- not locked. Numbered 020 to leave 009-019 to other work on the console schema.
ALTER TABLE console_admin
    ADD COLUMN locked_at DATETIME NULL AFTER last_login_at;
