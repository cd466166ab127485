-- billing_expected_status(bill_id, total, status): the payment_status a bill with this
-- total must have, given its payment rows: `status` itself when it is one the payments
-- allow, else the one they imply. Paid or Written Off when nothing is left to pay (Written
-- Off when part of it was written off), Partially Paid when something was paid and
-- something is left, and otherwise open (Pending, Overdue) or Cancelled, which nothing
-- paid allows. NULL when more was paid and adjusted than the total. Its callers hold the
-- bill's row lock, under which a bill's payments are written.
DROP FUNCTION IF EXISTS billing_expected_status;

DELIMITER $$
CREATE FUNCTION billing_expected_status(p_bill_id INT UNSIGNED, p_total DECIMAL(12,2), p_status VARCHAR(20))
RETURNS VARCHAR(20)
NOT DETERMINISTIC
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'The payment_status a bill''s payments allow'
BEGIN
    DECLARE v_paid DECIMAL(14,2);
    DECLARE v_adjusted DECIMAL(14,2);
    DECLARE v_written_off DECIMAL(14,2);
    DECLARE v_balance DECIMAL(14,2);

    SELECT COALESCE(SUM(IF(kind IN ('Payment', 'Refund'), amount, 0)), 0),
           COALESCE(SUM(IF(kind IN ('Discount', 'Write-off'), amount, 0)), 0),
           COALESCE(SUM(IF(kind = 'Write-off', amount, 0)), 0)
      INTO v_paid, v_adjusted, v_written_off
      FROM payment
     WHERE bill_id = p_bill_id;
    SET v_balance = p_total - v_paid - v_adjusted;

    IF v_balance < 0 THEN
        RETURN NULL;
    END IF;
    IF v_balance = 0 AND (v_paid > 0 OR v_adjusted > 0) THEN
        RETURN IF(v_written_off > 0, 'Written Off', 'Paid');
    END IF;
    IF v_paid > 0 THEN
        RETURN 'Partially Paid';
    END IF;
    IF p_status IN ('Pending', 'Overdue', 'Cancelled') OR (p_status = 'Paid' AND p_total = 0) THEN
        RETURN p_status;
    END IF;
    RETURN 'Pending';
END$$
DELIMITER ;
