-- stock_adjust(lot_id, quantity, reason): a stock-take correction of one lot, up or down,
-- with a reason (an Adjustment row). A lot cannot go below zero.
-- SQL SECURITY DEFINER for the ticket (routine_ticket_held).
-- It runs in a transaction of its own, which holds the ticket (a row routine_ticket_take
-- inserts and routine_ticket_release deletes before the COMMIT): a failure rolls back the
-- whole call, and, like record_payment, calling it commits the caller's open transaction.
DROP PROCEDURE IF EXISTS stock_adjust;

DELIMITER $$
CREATE PROCEDURE stock_adjust(
    IN p_lot_id   INT UNSIGNED,
    IN p_quantity INT,
    IN p_reason   VARCHAR(255)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Correct one lot after a stock take, with a reason'
BEGIN
    DECLARE v_department SMALLINT UNSIGNED;
    DECLARE v_medication INT UNSIGNED;
    DECLARE v_stock INT;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        CALL routine_ticket_release();
        RESIGNAL;
    END;
    IF p_quantity IS NULL OR p_quantity = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_adjust: the quantity must be positive or negative';
    END IF;
    IF CHAR_LENGTH(TRIM(IFNULL(p_reason, ''))) = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_adjust: an adjustment needs a reason';
    END IF;
    SELECT department_id, medication_id INTO v_department, v_medication FROM stock_lot WHERE lot_id = p_lot_id;
    IF v_department IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_adjust: no such lot';
    END IF;
    START TRANSACTION;
    CALL routine_ticket_take();
    SELECT stock_quantity INTO v_stock FROM department_medication
     WHERE department_id = v_department AND medication_id = v_medication FOR UPDATE;
    INSERT INTO stock_ledger (lot_id, movement, quantity, reason) VALUES (p_lot_id, 'Adjustment', p_quantity, p_reason);
    CALL routine_ticket_release();
    COMMIT;
END$$
DELIMITER ;
