-- Auditor: reviews for compliance, modifies nothing. SELECT only, and EXECUTE on the read-only routines.
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_auditor;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.* TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- EXECUTE on the read-only routines (the set @read_only of sql/routines/grant_routines.sql).
CALL grant_routines('hms_auditor', '@read_only');

-- The Auditor also reads the console's audit log, which lives in the console schema
-- <database>_console next to tables no hms role may read (console admins and their
-- password hashes).
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(CONCAT(DATABASE(), '_console'), '`', '``'), '`.audit_log TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- and the head of its hash chain, to verify it (`hms audit verify`).
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(CONCAT(DATABASE(), '_console'), '`', '``'), '`.audit_chain_head TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
