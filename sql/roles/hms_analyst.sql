-- Data Analyst: builds reports and charts. SELECT only, and EXECUTE on the read-only routines.
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_analyst;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.* TO hms_analyst');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- EXECUTE on the read-only routines (the set @read_only of sql/routines/grant_routines.sql).
CALL grant_routines('hms_analyst', '@read_only');
