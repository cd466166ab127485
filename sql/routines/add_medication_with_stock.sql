-- add_medication_with_stock(...): a new medication and its initial stock in one
-- department, in one transaction: either both rows exist afterwards or neither.
-- Note: like any START TRANSACTION, calling it commits the caller's open transaction.
-- A transaction that loses a deadlock (1213) or a lock wait (1205) is rolled back and run
-- again, up to 8 times with a short random pause, then refused with a clear message (as
-- book_appointment does). Retrying is safe here whatever the caller's autocommit: the
-- transaction is the procedure's own, so the rollback takes nothing of the caller's.
DROP PROCEDURE IF EXISTS add_medication_with_stock;

DELIMITER $$
CREATE PROCEDURE add_medication_with_stock(
    IN  p_name           VARCHAR(150),
    IN  p_form           VARCHAR(20),
    IN  p_strength       VARCHAR(30),
    IN  p_manufacturer   VARCHAR(100),
    IN  p_unit_price     DECIMAL(10,2),
    IN  p_department_id  SMALLINT UNSIGNED,
    IN  p_stock_quantity INT,
    OUT p_medication_id  INT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'New medication with initial stock in one department, atomically'
BEGIN
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_lost_race BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    IF p_stock_quantity IS NULL OR p_stock_quantity < 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'add_medication_with_stock: initial stock must be zero or more';
    END IF;

    adding: LOOP
        SET v_attempt = v_attempt + 1, v_lost_race = FALSE, p_medication_id = NULL;
        BEGIN
            DECLARE EXIT HANDLER FOR 1213, 1205
            BEGIN
                ROLLBACK;
                SET v_lost_race = TRUE;
            END;
            -- The department is checked by its foreign key, inside the retried transaction: a
            -- lookup before it could wait for the department row outside the retry (with the
            -- binary log on, a SELECT in a routine's IF condition is a locking read).
            DECLARE EXIT HANDLER FOR 1452
            BEGIN
                ROLLBACK;
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'add_medication_with_stock: no such department';
            END;
            START TRANSACTION;
            INSERT INTO medication (name, form, strength, manufacturer, unit_price)
            VALUES (p_name, p_form, p_strength, p_manufacturer, p_unit_price);
            SET p_medication_id = LAST_INSERT_ID();
            INSERT INTO department_medication (department_id, medication_id, stock_quantity)
            VALUES (p_department_id, p_medication_id, p_stock_quantity);
            COMMIT;
        END;
        IF NOT v_lost_race THEN
            LEAVE adding;
        END IF;
        IF v_attempt >= 8 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                'add_medication_with_stock: lost a lock race 8 times, nothing was added; try again in a moment';
        END IF;
        DO SLEEP(RAND() * 0.01 * v_attempt);
    END LOOP;
END$$
DELIMITER ;
