-- stock_return_prescription(prescription, medication, quantity): gives back up to
-- `quantity` units a prescription line had dispensed, into the lots they came from, the
-- most recently dispensed first (Return rows). Units dispensed before the ledger existed
-- (the seeded history) have no lot to go back to and are not given back.
-- Called by the prescription_medication triggers when a line is lowered, moved or deleted.
DROP PROCEDURE IF EXISTS stock_return_prescription;

DELIMITER $$
CREATE PROCEDURE stock_return_prescription(
    IN p_prescription_id INT UNSIGNED,
    IN p_medication_id   INT UNSIGNED,
    IN p_quantity        INT
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Give back what a prescription line dispensed, into its lots'
BEGIN
    DECLARE v_left INT DEFAULT p_quantity;
    DECLARE v_give INT;
    DECLARE v_lot INT UNSIGNED;
    DECLARE v_net INT;
    DECLARE v_department SMALLINT UNSIGNED;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE lots CURSOR FOR
        SELECT lot_id, -SUM(quantity) AS net
          FROM stock_ledger
         WHERE prescription_id = p_prescription_id AND medication_id = p_medication_id
           AND movement IN ('Dispense', 'Return')
         GROUP BY lot_id
        HAVING net > 0
         ORDER BY MAX(entry_id) DESC;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;

    SELECT department_id INTO v_department
      FROM stock_ledger
     WHERE prescription_id = p_prescription_id AND medication_id = p_medication_id
     LIMIT 1;
    IF v_done THEN
        SET v_done = FALSE;
    ELSE
        -- The stock row first, as every writer of this department's lots locks it.
        SELECT stock_quantity INTO v_net
          FROM department_medication
         WHERE department_id = v_department AND medication_id = p_medication_id
           FOR UPDATE;
        OPEN lots;
        giving: LOOP
            FETCH lots INTO v_lot, v_net;
            IF v_done OR v_left <= 0 THEN
                LEAVE giving;
            END IF;
            SET v_give = LEAST(v_left, v_net);
            INSERT INTO stock_ledger (lot_id, movement, quantity, prescription_id, reason)
            VALUES (v_lot, 'Return', v_give, p_prescription_id, 'prescription lowered or withdrawn');
            SET v_left = v_left - v_give;
        END LOOP;
        CLOSE lots;
    END IF;
END$$
DELIMITER ;
