-- Payments and adjustments only through record_payment and record_adjustment (the ticket
-- they hold, routine_ticket_held; hms_admin and hms_dba may write directly). The bill is
-- locked first, so two payments on one bill queue, then the ticket is looked for (a plain
-- read that starts the transaction's snapshot: after the lock, as the sums below need),
-- and then: no payment on a cancelled
-- bill, no payment or adjustment beyond the balance (over-payment refused), no refund of
-- more than was paid. recorded_by is the login that recorded it.
-- The sums are a plain read (a locking read of idx_payment_bill_amounts would gap-lock neighbouring
-- bills and deadlock payments on them): record_payment and record_adjustment run in a
-- transaction of their own, whose snapshot starts with this read, after the bill's lock,
-- so it holds every payment committed before. A direct insert inside a longer transaction
-- (admin, dba) reads that transaction's snapshot.
DROP TRIGGER IF EXISTS trg_payment_insert;

DELIMITER $$
CREATE TRIGGER trg_payment_insert
BEFORE INSERT ON payment
FOR EACH ROW
trg: BEGIN
    DECLARE v_total DECIMAL(12,2);
    DECLARE v_status VARCHAR(20);
    DECLARE v_paid DECIMAL(14,2);
    DECLARE v_adjusted DECIMAL(14,2);
    DECLARE v_message VARCHAR(255);

    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    SELECT total_amount, payment_status INTO v_total, v_status FROM billing WHERE bill_id = NEW.bill_id FOR UPDATE;
    IF NOT routine_ticket_held() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Payments and adjustments are recorded through record_payment and record_adjustment only';
    END IF;
    IF v_total IS NULL THEN
        SET v_message = CONCAT('No bill ', IFNULL(NEW.bill_id, 'NULL'), ': check the bill number');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF v_status = 'Cancelled' THEN
        SET v_message = CONCAT('Bill ', NEW.bill_id, ' is cancelled: nothing is paid or adjusted on it');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    SELECT COALESCE(SUM(IF(kind IN ('Payment', 'Refund'), amount, 0)), 0),
           COALESCE(SUM(IF(kind IN ('Discount', 'Write-off'), amount, 0)), 0)
      INTO v_paid, v_adjusted
      FROM payment WHERE bill_id = NEW.bill_id;
    IF NEW.amount > 0 AND NEW.amount > v_total - v_paid - v_adjusted THEN
        SET v_message = CONCAT('Over-payment refused: bill ', NEW.bill_id, ' has a balance of ',
                               v_total - v_paid - v_adjusted, ', ', NEW.amount, ' offered');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF NEW.amount < 0 AND v_paid + NEW.amount < 0 THEN
        SET v_message = CONCAT('Refund refused: bill ', NEW.bill_id, ' has ', v_paid, ' paid, ', -NEW.amount,
                               ' to refund');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    SET NEW.recorded_by = USER();
END$$
DELIMITER ;
