-- Receptionist: the front desk. Books, cancels and moves appointments, runs the waitlist
-- and the walk-in queue only through the scheduling routines (SQL SECURITY DEFINER, so
-- the rules in them and in the appointment triggers hold), reads the schedules and
-- searches patients; invoices a finished visit, takes payments and reads invoice balances
-- (invoice_balance); writes no table directly.
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_receptionist;

-- The schedules: who works when, what is booked, the waitlist and the walk-in queues.
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.department TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor_availability TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor_leave TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.public_holiday TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.appointment TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.appointment_status_history TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.waitlist_entry TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.waitlist_offer TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.walkin_visit TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- The patient search: it runs as its invoker, so it reads patient as this role.
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.patient TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- The front desk's billing: each invoice's header, paid amount and balance through the
-- definer view invoice_balance (not its lines: a medication line names a prescription).
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.invoice_balance TO hms_receptionist');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- EXECUTE on the read-only routines (those that read medical records fail for this role:
-- it may not read them), the scheduling routines, and two billing routines: invoicing a
-- visit and taking a payment (or a refund). Not record_adjustment (discounts and
-- write-offs are the billing office's) nor any stock routine. Both are SQL SECURITY
-- DEFINER, so they do their one job without this role reading medical records or writing
-- billing rows itself. The sets are listed once in sql/routines/grant_routines.sql.
CALL grant_routines('hms_receptionist', '@read_only, @scheduling, create_invoice_for_visit, record_payment');
