-- A charge's price from a date on: the price on a day is the row with the latest
-- valid_from on or before it (charge_price_on). A price change is a new row, so old
-- invoices keep the price they were billed at (invoice_line.unit_price) and the
-- catalogue keeps its history.
CREATE TABLE charge_price (
    charge_id   INT UNSIGNED  NOT NULL,
    valid_from  DATE          NOT NULL,
    unit_price  DECIMAL(10,2) NOT NULL,
    tax_percent DECIMAL(5,2)  NOT NULL DEFAULT 0,
    PRIMARY KEY (charge_id, valid_from),
    CONSTRAINT fk_charge_price_charge FOREIGN KEY (charge_id) REFERENCES charge_item (charge_id) ON DELETE CASCADE,
    CONSTRAINT chk_charge_price_unit_price CHECK (unit_price >= 0),
    CONSTRAINT chk_charge_price_tax CHECK (tax_percent BETWEEN 0 AND 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
