-- Developer: builds application features. SELECT, INSERT, UPDATE, DELETE, and EXECUTE on the routines
-- (which run as SQL SECURITY INVOKER, so they can do no more than the role itself).
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_developer;
SET @hms_grant = CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', REPLACE(DATABASE(), '`', '``'), '`.* TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- EXECUTE on the read-only routines, listed once in sql/routines/grant_read_only_routines.sql.
CALL grant_read_only_routines('hms_developer');

-- EXECUTE on the two routines that write (booking, and a medication with its stock).
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.book_appointment TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.add_medication_with_stock TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- EXECUTE on the routines that write invoices, payments and stock movements, listed once in
-- sql/routines/grant_billing_stock_routines.sql (payments and stock move only through them).
CALL grant_billing_stock_routines('hms_developer');
-- EXECUTE on the scheduling routines (SQL SECURITY DEFINER; they do only what they are for).
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.book_slot TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.cancel_appointment TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.reschedule_appointment TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.find_free_slots TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.waitlist_join TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.waitlist_accept TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.waitlist_expire_offers TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.walkin_check_in TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.walkin_call_next TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT EXECUTE ON PROCEDURE `', REPLACE(DATABASE(), '`', '``'), '`.walkin_finish TO hms_developer');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
