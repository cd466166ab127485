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

SET @hms_grant = CONCAT('GRANT EXECUTE ON FUNCTION `', REPLACE(DATABASE(), '`', '``'), '`.calculate_age TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON FUNCTION `', REPLACE(DATABASE(), '`', '``'), '`.calculate_discounted_bill TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.get_doctor_appointments TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- The Auditor also reads the console's audit log, which lives in <database>_console
-- next to tables no hms role may read (console admins and their password hashes).
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(CONCAT(DATABASE(), '_console'), '`', '``'), '`.audit_log TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- Read paths (issue 6): the complete patient record, patient search, a doctor's day
-- schedule and the booking conflict check. All read-only and SQL SECURITY INVOKER.
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.get_patient_record TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.search_patients TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.get_doctor_day_schedule TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON FUNCTION `', REPLACE(DATABASE(), '`', '``'), '`.doctor_slot_is_free TO hms_auditor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
