-- A new bill has no payments yet, so it is open (Pending, Overdue) or Cancelled; any
-- other status follows from payments recorded afterwards (record_payment). Its total may
-- be entered by hand until it has invoice lines, from then on it is theirs.
DROP TRIGGER IF EXISTS trg_billing_invoice_insert;

DELIMITER $$
CREATE TRIGGER trg_billing_invoice_insert
BEFORE INSERT ON billing
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    IF NEW.payment_status NOT IN ('Pending', 'Overdue', 'Cancelled') AND NOT (NEW.payment_status = 'Paid' AND NEW.total_amount = 0) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'A new bill is Pending, Overdue or Cancelled: Paid and Partially Paid follow from payments (record_payment)';
    END IF;
END$$
DELIMITER ;
