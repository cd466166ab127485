-- Admin: general system administrator. ALL PRIVILEGES on the hms database.
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_admin;
SET @hms_grant = CONCAT('GRANT ALL PRIVILEGES ON `', REPLACE(DATABASE(), '`', '``'), '`.* TO hms_admin');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
