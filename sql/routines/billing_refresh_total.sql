-- billing_refresh_total(bill_id): sets a bill's total to the sum of its invoice lines,
-- and its status to what its payments then make it (a paid bill that gains a line is
-- Partially Paid again). Called by the invoice_line triggers; a total that would fall
-- below what was paid is refused by trg_billing_invoice_update.
DROP PROCEDURE IF EXISTS billing_refresh_total;

DELIMITER $$
CREATE PROCEDURE billing_refresh_total(IN p_bill_id INT UNSIGNED)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'A bill''s total from its lines'
BEGIN
    DECLARE v_total DECIMAL(12,2);
    -- The bill first (by its key: no gap locks), then a plain read of its lines: a locking
    -- read of idx_invoice_line_bill would gap-lock the next bill's lines and deadlock
    -- concurrent invoices. Lines of one bill change under its row lock.
    SELECT total_amount INTO v_total FROM billing WHERE bill_id = p_bill_id FOR UPDATE;
    SELECT COALESCE(SUM(line_total), 0) INTO v_total FROM invoice_line WHERE bill_id = p_bill_id;
    UPDATE billing
       SET total_amount = v_total,
           payment_status = COALESCE(billing_expected_status(p_bill_id, v_total, payment_status), payment_status)
     WHERE bill_id = p_bill_id;
END$$
DELIMITER ;
