-- The lines of an invoice (a billing row): a service or a medication, quantity, unit
-- price, discount and tax. line_total is computed by the database; the invoice_line
-- triggers keep billing.total_amount equal to the sum of a bill's line totals, and
-- trg_billing_invoice_update refuses a hand edit of a total that breaks it.
CREATE TABLE invoice_line (
    line_id          INT UNSIGNED  NOT NULL AUTO_INCREMENT,
    bill_id          INT UNSIGNED  NOT NULL,
    charge_id        INT UNSIGNED  NULL,
    medication_id    INT UNSIGNED  NULL,
    prescription_id  INT UNSIGNED  NULL,
    description      VARCHAR(150)  NOT NULL,
    quantity         DECIMAL(10,2) NOT NULL DEFAULT 1,
    unit_price       DECIMAL(10,2) NOT NULL,
    discount_percent DECIMAL(5,2)  NOT NULL DEFAULT 0,
    tax_percent      DECIMAL(5,2)  NOT NULL DEFAULT 0,
    line_total       DECIMAL(12,2) AS (ROUND(quantity * unit_price * (100 - discount_percent) * (100 + tax_percent) / 10000, 2)) STORED,
    PRIMARY KEY (line_id),
    KEY idx_invoice_line_bill (bill_id),
    KEY idx_invoice_line_charge (charge_id),
    KEY idx_invoice_line_medication (medication_id),
    CONSTRAINT fk_invoice_line_bill FOREIGN KEY (bill_id) REFERENCES billing (bill_id) ON DELETE CASCADE,
    CONSTRAINT fk_invoice_line_charge FOREIGN KEY (charge_id) REFERENCES charge_item (charge_id),
    CONSTRAINT fk_invoice_line_medication FOREIGN KEY (medication_id) REFERENCES medication (medication_id),
    CONSTRAINT chk_invoice_line_quantity CHECK (quantity > 0),
    CONSTRAINT chk_invoice_line_unit_price CHECK (unit_price >= 0),
    CONSTRAINT chk_invoice_line_discount CHECK (discount_percent BETWEEN 0 AND 100),
    CONSTRAINT chk_invoice_line_tax CHECK (tax_percent BETWEEN 0 AND 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
