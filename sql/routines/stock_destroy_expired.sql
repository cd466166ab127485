-- stock_destroy_expired(department, reason, OUT units): destroys what expired lots still
-- hold, in one department (or every department when NULL), one Destruction row per lot;
-- returns the units destroyed. SQL SECURITY DEFINER for the ticket (routine_ticket_held).
-- It runs in a transaction of its own, which holds the ticket (a row routine_ticket_take
-- inserts and routine_ticket_release deletes before the COMMIT): a failure rolls back the
-- whole call, and, like record_payment, calling it commits the caller's open transaction.
DROP PROCEDURE IF EXISTS stock_destroy_expired;

DELIMITER $$
CREATE PROCEDURE stock_destroy_expired(
    IN  p_department_id SMALLINT UNSIGNED,
    IN  p_reason        VARCHAR(255),
    OUT p_units         INT
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Destroy the units expired lots hold'
BEGIN
    DECLARE v_lot INT UNSIGNED;
    DECLARE v_department SMALLINT UNSIGNED;
    DECLARE v_medication INT UNSIGNED;
    DECLARE v_quantity INT;
    DECLARE v_stock INT;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE lots CURSOR FOR
        SELECT lot_id, department_id, medication_id
          FROM stock_lot
         WHERE expiry_date < CURDATE() AND quantity > 0
           AND (p_department_id IS NULL OR department_id = p_department_id)
         ORDER BY department_id, medication_id, lot_id;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        CALL routine_ticket_release();
        RESIGNAL;
    END;
    SET p_units = 0;
    START TRANSACTION;
    CALL routine_ticket_take();
    OPEN lots;
    destroying: LOOP
        FETCH lots INTO v_lot, v_department, v_medication;
        IF v_done THEN
            LEAVE destroying;
        END IF;
        SELECT stock_quantity INTO v_stock FROM department_medication
         WHERE department_id = v_department AND medication_id = v_medication FOR UPDATE;
        SELECT quantity INTO v_quantity FROM stock_lot WHERE lot_id = v_lot FOR UPDATE;
        IF v_quantity > 0 THEN
            INSERT INTO stock_ledger (lot_id, movement, quantity, reason)
            VALUES (v_lot, 'Destruction', -v_quantity, IFNULL(p_reason, 'expired'));
            SET p_units = p_units + v_quantity;
        END IF;
    END LOOP;
    CLOSE lots;
    CALL routine_ticket_release();
    COMMIT;
END$$
DELIMITER ;
