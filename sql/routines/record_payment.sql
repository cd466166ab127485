-- record_payment(bill_id, amount, method, reference, reason, OUT payment_id): a payment
-- against a bill, or with a negative amount a refund (a reason required). Over-payment,
-- a refund of more than was paid and a payment on a cancelled bill are refused by
-- trg_payment_insert, which locks the bill first, so two payments closing the same bill
-- queue and the second is refused. The bill's status follows (trg_payment_status).
-- SQL SECURITY DEFINER: it holds the ticket (routine_ticket_held) that lets it write
-- payment rows, which hms roles other than admin and dba cannot write directly, taken after
-- its START TRANSACTION and given back before its COMMIT (a row that is never committed). It
-- runs in a transaction of its own, whose snapshot starts after the bill's lock
-- (trg_payment_insert); like any START TRANSACTION, calling it commits the caller's open
-- transaction.
DROP PROCEDURE IF EXISTS record_payment;

DELIMITER $$
CREATE PROCEDURE record_payment(
    IN  p_bill_id    INT UNSIGNED,
    IN  p_amount     DECIMAL(12,2),
    IN  p_method     VARCHAR(20),
    IN  p_reference  VARCHAR(64),
    IN  p_reason     VARCHAR(255),
    OUT p_payment_id INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'A payment (or, negative, a refund with a reason) against a bill'
BEGIN
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        CALL routine_ticket_release();
        RESIGNAL;
    END;
    IF p_amount IS NULL OR p_amount = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'record_payment: the amount must be positive (a payment) or negative (a refund)';
    END IF;
    IF p_amount < 0 AND CHAR_LENGTH(TRIM(IFNULL(p_reason, ''))) = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'record_payment: a refund needs a reason';
    END IF;
    START TRANSACTION;
    CALL routine_ticket_take();
    INSERT INTO payment (bill_id, kind, amount, method, reference, reason)
    VALUES (p_bill_id, IF(p_amount < 0, 'Refund', 'Payment'), p_amount, p_method, p_reference, p_reason);
    SET p_payment_id = LAST_INSERT_ID();
    CALL routine_ticket_release();
    COMMIT;
END$$
DELIMITER ;
