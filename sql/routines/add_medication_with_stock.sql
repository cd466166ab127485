-- add_medication_with_stock(...): a new medication and its initial stock in one
-- department, in one transaction: either both rows exist afterwards or neither.
-- Note: like any START TRANSACTION, calling it commits the caller's open transaction.
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
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    IF NOT EXISTS (SELECT 1 FROM department WHERE department_id = p_department_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'add_medication_with_stock: no such department';
    END IF;
    IF p_stock_quantity IS NULL OR p_stock_quantity < 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'add_medication_with_stock: initial stock must be zero or more';
    END IF;

    START TRANSACTION;
    INSERT INTO medication (name, form, strength, manufacturer, unit_price)
    VALUES (p_name, p_form, p_strength, p_manufacturer, p_unit_price);
    SET p_medication_id = LAST_INSERT_ID();
    INSERT INTO department_medication (department_id, medication_id, stock_quantity)
    VALUES (p_department_id, p_medication_id, p_stock_quantity);
    COMMIT;
END$$
DELIMITER ;
