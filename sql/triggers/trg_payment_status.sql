-- A recorded payment, refund or adjustment sets its bill's status to what its payments
-- now make it (billing_expected_status), and a payment its payment_method.
DROP TRIGGER IF EXISTS trg_payment_status;

DELIMITER $$
CREATE TRIGGER trg_payment_status
AFTER INSERT ON payment
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    UPDATE billing
       SET payment_status = billing_expected_status(NEW.bill_id, total_amount, payment_status),
           payment_method = IF(NEW.kind = 'Payment', NEW.method, payment_method)
     WHERE bill_id = NEW.bill_id;
END$$
DELIMITER ;
