-- Money against a bill: payments (method, amount, reference, date), refunds (a negative
-- amount with a reason) and adjustments (a discount or a write-off, with a reason).
-- A bill's paid amount is the sum of its Payment and Refund rows, its adjusted amount
-- the sum of its Discount and Write-off rows; its payment_status follows from them
-- (billing_expected_status). Rows are written only through record_payment and
-- record_adjustment (trg_payment_insert), never changed or deleted: a mistake is
-- corrected by a refund or an adjustment.
CREATE TABLE payment (
    payment_id  INT UNSIGNED  NOT NULL AUTO_INCREMENT,
    bill_id     INT UNSIGNED  NOT NULL,
    kind        ENUM('Payment', 'Refund', 'Discount', 'Write-off') NOT NULL,
    amount      DECIMAL(12,2) NOT NULL,
    method      ENUM('Cash', 'Card', 'Insurance', 'Bank Transfer') NULL,
    reference   VARCHAR(64)   NULL,
    paid_at     DATETIME      NOT NULL DEFAULT CURRENT_TIMESTAMP,
    reason      VARCHAR(255)  NULL,
    recorded_by VARCHAR(300)  NOT NULL DEFAULT '',
    PRIMARY KEY (payment_id),
    KEY idx_payment_bill (bill_id),
    KEY idx_payment_paid_at (paid_at),
    CONSTRAINT fk_payment_bill FOREIGN KEY (bill_id) REFERENCES billing (bill_id),
    CONSTRAINT chk_payment_sign CHECK (IF(kind = 'Refund', amount < 0, amount > 0)),
    CONSTRAINT chk_payment_reason CHECK (kind = 'Payment' OR CHAR_LENGTH(TRIM(reason)) > 0),
    CONSTRAINT chk_payment_method CHECK (kind NOT IN ('Payment', 'Refund') OR method IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
