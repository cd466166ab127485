-- QA Support: testers and support staff. SELECT and INSERT, and EXECUTE on the routines
-- (which run as SQL SECURITY INVOKER, so they can do no more than the role itself).
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_qa;
SET @hms_grant = CONCAT('GRANT SELECT, INSERT ON `', REPLACE(DATABASE(), '`', '``'), '`.* TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON FUNCTION `', REPLACE(DATABASE(), '`', '``'), '`.calculate_age TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON FUNCTION `', REPLACE(DATABASE(), '`', '``'), '`.calculate_discounted_bill TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.get_doctor_appointments TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.book_appointment TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.add_medication_with_stock TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- Read paths (issue 6): the complete patient record, patient search, a doctor's day
-- schedule and the booking conflict check. All read-only and SQL SECURITY INVOKER.
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.get_patient_record TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.search_patients TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.get_doctor_day_schedule TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON FUNCTION `', REPLACE(DATABASE(), '`', '``'), '`.doctor_slot_is_free TO hms_qa');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
