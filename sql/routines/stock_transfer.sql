-- stock_transfer(from_department, to_department, medication, quantity, reason): moves
-- units between departments, first expired first out, each lot into a lot of the same
-- number and expiry in the receiving department (Transfer out / Transfer in rows).
-- Refused whole when the sending department's usable stock is short. Both stock rows
-- are locked in department order, so opposite transfers cannot deadlock.
-- SQL SECURITY DEFINER for the ticket (routine_ticket_held).
-- It runs in a transaction of its own, which holds the ticket (a row routine_ticket_take
-- inserts and routine_ticket_release deletes before the COMMIT): a failure rolls back the
-- whole call, and, like record_payment, calling it commits the caller's open transaction.
DROP PROCEDURE IF EXISTS stock_transfer;

DELIMITER $$
CREATE PROCEDURE stock_transfer(
    IN p_from_department_id SMALLINT UNSIGNED,
    IN p_to_department_id   SMALLINT UNSIGNED,
    IN p_medication_id      INT UNSIGNED,
    IN p_quantity           INT,
    IN p_reason             VARCHAR(255)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Move units of a medication between departments, first expired first out'
BEGIN
    DECLARE v_rows INT;
    DECLARE EXIT HANDLER FOR 1452
    BEGIN
        ROLLBACK;
        CALL routine_ticket_release();
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_transfer: no such department or medication';
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        CALL routine_ticket_release();
        RESIGNAL;
    END;
    IF p_quantity IS NULL OR p_quantity <= 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_transfer: the quantity must be positive';
    END IF;
    IF p_from_department_id <=> p_to_department_id THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock_transfer: the two departments must differ';
    END IF;
    START TRANSACTION;
    CALL routine_ticket_take();
    SELECT COUNT(*) INTO v_rows
      FROM (SELECT department_id FROM department_medication
             WHERE medication_id = p_medication_id AND department_id IN (p_from_department_id, p_to_department_id)
             ORDER BY department_id FOR UPDATE) AS locked;
    INSERT INTO department_medication (department_id, medication_id, stock_quantity)
    VALUES (p_to_department_id, p_medication_id, 0)
    ON DUPLICATE KEY UPDATE stock_quantity = stock_quantity;
    CALL stock_take_fefo(p_from_department_id, p_medication_id, p_quantity, 'Transfer out', NULL,
                         IFNULL(p_reason, 'transfer'), p_to_department_id);
    CALL routine_ticket_release();
    COMMIT;
END$$
DELIMITER ;
