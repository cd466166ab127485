-- stock_receive(department, medication, lot_number, expiry_date, quantity, reason, OUT lot_id):
-- units received into a lot (created on first receipt; a lot number already held with
-- another expiry date is refused), one Receipt row in the stock ledger. The department's
-- stock row is created if it has none. SQL SECURITY DEFINER: it holds the ticket
-- (routine_ticket_held) that lets it write stock movements.
-- It runs in a transaction of its own, which holds the ticket (a row routine_ticket_take
-- inserts and routine_ticket_release deletes before the COMMIT): a failure rolls back the
-- whole call, and, like record_payment, calling it commits the caller's open transaction.
DROP PROCEDURE IF EXISTS stock_receive;

DELIMITER $$
CREATE PROCEDURE stock_receive(
    IN  p_department_id SMALLINT UNSIGNED,
    IN  p_medication_id INT UNSIGNED,
    IN  p_lot_number    VARCHAR(40),
    IN  p_expiry_date   DATE,
    IN  p_quantity      INT,
    IN  p_reason        VARCHAR(255),
    OUT p_lot_id        INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Receive units of a medication into a lot'
BEGIN
    DECLARE v_expiry DATE;
    DECLARE v_message VARCHAR(255);
    DECLARE EXIT HANDLER FOR 1452
    BEGIN
        ROLLBACK;
        CALL routine_ticket_release();
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_receive: no such department or medication';
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        CALL routine_ticket_release();
        RESIGNAL;
    END;
    IF p_quantity IS NULL OR p_quantity <= 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_receive: the quantity must be positive';
    END IF;
    IF CHAR_LENGTH(TRIM(IFNULL(p_lot_number, ''))) = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_receive: name the lot number';
    END IF;
    IF p_expiry_date < CURDATE() THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_receive: the lot has already expired';
    END IF;
    START TRANSACTION;
    CALL routine_ticket_take();
    -- The stock row first (created, or locked as it is), as every writer of these lots does.
    INSERT INTO department_medication (department_id, medication_id, stock_quantity)
    VALUES (p_department_id, p_medication_id, 0)
    ON DUPLICATE KEY UPDATE stock_quantity = stock_quantity;
    INSERT INTO stock_lot (department_id, medication_id, lot_number, expiry_date, quantity)
    VALUES (p_department_id, p_medication_id, p_lot_number, p_expiry_date, 0)
    ON DUPLICATE KEY UPDATE lot_id = LAST_INSERT_ID(lot_id);
    SET p_lot_id = LAST_INSERT_ID();
    SELECT expiry_date INTO v_expiry FROM stock_lot WHERE lot_id = p_lot_id FOR UPDATE;  -- the latest, not the snapshot
    IF NOT (v_expiry <=> p_expiry_date) THEN
        SET v_message = CONCAT('stock_receive: lot ', p_lot_number, ' is held with expiry date ',
                               IFNULL(v_expiry, 'none'), ': give this delivery its own lot number');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    INSERT INTO stock_ledger (lot_id, movement, quantity, reason)
    VALUES (p_lot_id, 'Receipt', p_quantity, IFNULL(p_reason, 'received'));
    CALL routine_ticket_release();
    COMMIT;
END$$
DELIMITER ;
