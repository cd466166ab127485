-- Every stock movement, one row: what moved (a lot, signed quantity), why (movement,
-- reason, the prescription dispensed) and who (moved_by, the login). balance_after is
-- the lot's quantity after the movement. Rows are never changed or deleted; a lot's
-- quantity is the sum of its rows and a department's stock the sum of its lots.
-- Opening: stock a department already held (before lots existed, or created with a new
-- department_medication row) placed in a lot; it does not change stock_quantity.
CREATE TABLE stock_ledger (
    entry_id        BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
    lot_id          INT UNSIGNED      NOT NULL,
    department_id   SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    medication_id   INT UNSIGNED      NOT NULL DEFAULT 0,
    movement        ENUM('Opening', 'Receipt', 'Dispense', 'Return', 'Transfer out', 'Transfer in',
                         'Adjustment', 'Destruction') NOT NULL,
    quantity        INT               NOT NULL,
    balance_after   INT               NOT NULL DEFAULT 0,
    prescription_id INT UNSIGNED      NULL,
    moved_at        DATETIME          NOT NULL DEFAULT CURRENT_TIMESTAMP,
    moved_by        VARCHAR(300)      NOT NULL DEFAULT '',
    reason          VARCHAR(255)      NULL,
    PRIMARY KEY (entry_id),
    KEY idx_stock_ledger_lot (lot_id, entry_id),
    KEY idx_stock_ledger_stock_moved (department_id, medication_id, moved_at),
    KEY idx_stock_ledger_prescription (prescription_id, medication_id),
    CONSTRAINT fk_stock_ledger_lot FOREIGN KEY (lot_id) REFERENCES stock_lot (lot_id),
    CONSTRAINT chk_stock_ledger_balance CHECK (balance_after >= 0),
    CONSTRAINT chk_stock_ledger_sign CHECK (
        CASE WHEN movement IN ('Opening', 'Receipt', 'Return', 'Transfer in') THEN quantity > 0
             WHEN movement IN ('Dispense', 'Transfer out', 'Destruction') THEN quantity < 0
             ELSE quantity <> 0 END)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
