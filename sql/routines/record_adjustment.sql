-- record_adjustment(bill_id, amount, kind, reason, OUT payment_id): a Discount or a
-- Write-off of part or all of a bill's balance, with a reason. More than the balance is
-- refused (trg_payment_insert); a write-off that settles the balance makes the bill
-- Written Off. SQL SECURITY DEFINER for the ticket and a transaction of its own, as record_payment.
DROP PROCEDURE IF EXISTS record_adjustment;

DELIMITER $$
CREATE PROCEDURE record_adjustment(
    IN  p_bill_id    INT UNSIGNED,
    IN  p_amount     DECIMAL(12,2),
    IN  p_kind       VARCHAR(20),
    IN  p_reason     VARCHAR(255),
    OUT p_payment_id INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'A discount or write-off of a bill''s balance, with a reason'
BEGIN
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        CALL routine_ticket_release();
        RESIGNAL;
    END;
    IF p_kind IS NULL OR p_kind NOT IN ('Discount', 'Write-off') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'record_adjustment: kind must be Discount or Write-off';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'record_adjustment: the amount must be positive';
    END IF;
    IF CHAR_LENGTH(TRIM(IFNULL(p_reason, ''))) = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'record_adjustment: an adjustment needs a reason';
    END IF;
    START TRANSACTION;
    CALL routine_ticket_take();
    INSERT INTO payment (bill_id, kind, amount, reason) VALUES (p_bill_id, p_kind, p_amount, p_reason);
    SET p_payment_id = LAST_INSERT_ID();
    CALL routine_ticket_release();
    COMMIT;
END$$
DELIMITER ;
