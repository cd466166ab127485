-- billing is the invoice header (docs/database.md, "Invoices and payments"): its total is
-- the sum of its invoice_line rows and its payment_status follows from its payment rows.
-- A bill whose balance was written off gets a status of its own. Appending a value to an
-- ENUM changes only the table definition (instant on MariaDB and MySQL), so this runs
-- in the same time on an empty table as on 6 million bills.
ALTER TABLE billing
    MODIFY payment_status ENUM('Pending', 'Paid', 'Partially Paid', 'Overdue', 'Cancelled', 'Written Off')
        NOT NULL DEFAULT 'Pending';
