-- A bill is its invoice's header: a bill with invoice lines keeps a total equal to their
-- sum (the invoice_line triggers set it; a hand edit that breaks it is refused), and its
-- payment_status must be the one its payments allow (billing_expected_status): Paid only
-- when nothing is left to pay, and so on. A total below what was paid is refused.
-- Costs a sum over the bill's few lines and payments, only when the total or the status
-- changes.
DROP TRIGGER IF EXISTS trg_billing_invoice_update;

DELIMITER $$
CREATE TRIGGER trg_billing_invoice_update
BEFORE UPDATE ON billing
FOR EACH ROW
trg: BEGIN
    DECLARE v_lines INT;
    DECLARE v_sum DECIMAL(14,2);
    DECLARE v_expected VARCHAR(20);
    DECLARE v_message VARCHAR(255);

    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    IF NEW.total_amount <> OLD.total_amount OR NEW.bill_id <> OLD.bill_id THEN
        SELECT COUNT(*), COALESCE(SUM(line_total), 0) INTO v_lines, v_sum
          FROM invoice_line WHERE bill_id = NEW.bill_id;
        IF v_lines > 0 AND v_sum <> NEW.total_amount THEN
            SET v_message = CONCAT('Bill ', NEW.bill_id, ' totals its lines (', v_sum, '), not ', NEW.total_amount,
                                   ': change its lines (invoice_line), not its total');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
    END IF;
    IF NEW.total_amount <> OLD.total_amount OR NEW.payment_status <> OLD.payment_status OR NEW.bill_id <> OLD.bill_id THEN
        SET v_expected = billing_expected_status(NEW.bill_id, NEW.total_amount, NEW.payment_status);
        IF v_expected IS NULL THEN
            SET v_message = CONCAT('Bill ', NEW.bill_id, ' cannot total ', NEW.total_amount,
                                   ': more than that was paid or adjusted; record a refund first');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        IF v_expected <> NEW.payment_status THEN
            SET v_message = CONCAT('Bill ', NEW.bill_id, ' cannot be ', NEW.payment_status, ': its payments make it ',
                                   v_expected, '; record payments with record_payment');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
    END IF;
END$$
DELIMITER ;
