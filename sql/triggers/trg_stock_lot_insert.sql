-- A lot starts empty: what it holds arrives through the stock ledger (stock_receive).
DROP TRIGGER IF EXISTS trg_stock_lot_insert;

DELIMITER $$
CREATE TRIGGER trg_stock_lot_insert
BEFORE INSERT ON stock_lot
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    IF NEW.quantity <> 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'A lot starts empty: receive stock into it with stock_receive';
    END IF;
END$$
DELIMITER ;
