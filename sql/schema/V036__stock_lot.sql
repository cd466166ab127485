-- A lot of one medication in one department: its lot number, expiry date (NULL: not
-- recorded, used last) and the units on hand. quantity is kept by the stock ledger
-- (trg_stock_ledger_apply); a department's stock_quantity is the sum of its lots.
CREATE TABLE stock_lot (
    lot_id        INT UNSIGNED      NOT NULL AUTO_INCREMENT,
    department_id SMALLINT UNSIGNED NOT NULL,
    medication_id INT UNSIGNED      NOT NULL,
    lot_number    VARCHAR(40)       NOT NULL,
    expiry_date   DATE              NULL,
    quantity      INT               NOT NULL DEFAULT 0,
    received_at   DATETIME          NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (lot_id),
    UNIQUE KEY uq_stock_lot_number (department_id, medication_id, lot_number),
    KEY idx_stock_lot_fefo (department_id, medication_id, expiry_date),
    KEY idx_stock_lot_expiry (expiry_date),
    CONSTRAINT fk_stock_lot_stock FOREIGN KEY (department_id, medication_id)
        REFERENCES department_medication (department_id, medication_id),
    CONSTRAINT chk_stock_lot_quantity CHECK (quantity >= 0),
    CONSTRAINT chk_stock_lot_number CHECK (CHAR_LENGTH(TRIM(lot_number)) > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
