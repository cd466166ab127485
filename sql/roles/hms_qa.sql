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

-- EXECUTE on the read-only routines, the routines that write (booking: book_appointment and
-- appointment_book_seat, which it runs as its invoker; a medication with its stock) and
-- those that write invoices, payments and stock movements (payments and stock move only
-- through them); the sets are listed once in sql/routines/grant_routines.sql.
CALL grant_routines('hms_qa', '@read_only, book_appointment, appointment_book_seat, add_medication_with_stock, @billing_stock');
