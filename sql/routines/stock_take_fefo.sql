-- stock_take_fefo(department, medication, quantity, movement, prescription, reason,
-- to_department): takes `quantity` units out of a department's stock, first expired first
-- out: from the lots that have not expired, the earliest expiry first (a lot without an
-- expiry date last), across as many lots as it needs, one stock_ledger row per lot.
-- Refused whole when the usable (unexpired) stock is short. With to_department the units
-- move there (Transfer out / Transfer in, into a lot of the same number and expiry).
-- The department's stock row is locked first, so concurrent takes of one medication in
-- one department queue on it and each sees the lots the previous one left.
-- Called by trg_prescription_medication_dispense (Dispense) and stock_transfer; it
-- writes only what its caller may (the ledger's trigger checks every row).
DROP PROCEDURE IF EXISTS stock_take_fefo;

DELIMITER $$
CREATE PROCEDURE stock_take_fefo(
    IN p_department_id    SMALLINT UNSIGNED,
    IN p_medication_id    INT UNSIGNED,
    IN p_quantity         INT,
    IN p_movement         VARCHAR(20),
    IN p_prescription_id  INT UNSIGNED,
    IN p_reason           VARCHAR(255),
    IN p_to_department_id SMALLINT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Take units out of a department''s stock, first expired first out'
BEGIN
    DECLARE v_on_hand INT;
    DECLARE v_usable INT;
    DECLARE v_left INT DEFAULT p_quantity;
    DECLARE v_take INT;
    DECLARE v_lot INT UNSIGNED;
    DECLARE v_lot_quantity INT;
    DECLARE v_lot_number VARCHAR(40);
    DECLARE v_expiry DATE;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_message VARCHAR(255);
    DECLARE lots CURSOR FOR
        SELECT lot_id, quantity, lot_number, expiry_date
          FROM stock_lot
         WHERE department_id = p_department_id AND medication_id = p_medication_id
           AND quantity > 0 AND (expiry_date IS NULL OR expiry_date >= CURDATE())
         ORDER BY expiry_date IS NULL, expiry_date, lot_id
           FOR UPDATE;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;

    -- Locking reads throughout: a plain read would see the snapshot the statement began
    -- with, before this session waited for the stock row, and miss what others took.
    SELECT stock_quantity INTO v_on_hand
      FROM department_medication
     WHERE department_id = p_department_id AND medication_id = p_medication_id
       FOR UPDATE;
    IF v_done THEN
        SET v_message = CONCAT('Medication ', p_medication_id, ' is not stocked in department ',
                               IFNULL(p_department_id, '(unknown prescription)'));
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    SELECT COALESCE(SUM(quantity), 0) INTO v_usable
      FROM stock_lot
     WHERE department_id = p_department_id AND medication_id = p_medication_id
       AND quantity > 0 AND (expiry_date IS NULL OR expiry_date >= CURDATE())
       FOR UPDATE;
    IF v_usable < p_quantity THEN
        SET v_message = CONCAT('Not enough stock: medication ', p_medication_id, ' in department ', p_department_id,
                               ' has ', v_usable, ' units, ', p_quantity, ' requested',
                               IF(v_on_hand > v_usable, CONCAT(' (', v_on_hand - v_usable, ' more expired)'), ''));
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    OPEN lots;
    taking: LOOP
        FETCH lots INTO v_lot, v_lot_quantity, v_lot_number, v_expiry;
        IF v_done OR v_left <= 0 THEN
            LEAVE taking;
        END IF;
        SET v_take = LEAST(v_left, v_lot_quantity);
        INSERT INTO stock_ledger (lot_id, movement, quantity, prescription_id, reason)
        VALUES (v_lot, p_movement, -v_take, p_prescription_id, p_reason);
        IF p_to_department_id IS NOT NULL THEN
            INSERT INTO stock_lot (department_id, medication_id, lot_number, expiry_date, quantity)
            VALUES (p_to_department_id, p_medication_id, v_lot_number, v_expiry, 0)
            ON DUPLICATE KEY UPDATE lot_id = LAST_INSERT_ID(lot_id);
            INSERT INTO stock_ledger (lot_id, movement, quantity, reason)
            VALUES (LAST_INSERT_ID(), 'Transfer in', v_take, p_reason);
        END IF;
        SET v_left = v_left - v_take;
    END LOOP;
    CLOSE lots;
END$$
DELIMITER ;
