-- A bill for a patient's visit or treatment.
CREATE TABLE billing (
    bill_id         INT UNSIGNED  NOT NULL AUTO_INCREMENT,
    patient_id      INT UNSIGNED  NOT NULL,
    appointment_id  INT UNSIGNED  NULL,
    total_amount    DECIMAL(12,2) NOT NULL,
    bill_date       DATE          NOT NULL,
    due_date        DATE          NOT NULL,
    payment_status  ENUM('Pending', 'Paid', 'Partially Paid', 'Overdue', 'Cancelled') NOT NULL DEFAULT 'Pending',
    payment_method  ENUM('Cash', 'Card', 'Insurance', 'Bank Transfer') NULL,
    PRIMARY KEY (bill_id),
    KEY idx_billing_patient_date (patient_id, bill_date),
    KEY idx_billing_appointment (appointment_id),
    CONSTRAINT fk_billing_patient FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
    CONSTRAINT fk_billing_appointment FOREIGN KEY (appointment_id) REFERENCES appointment (appointment_id),
    CONSTRAINT chk_billing_total_amount CHECK (total_amount >= 0),
    CONSTRAINT chk_billing_due_date CHECK (due_date >= bill_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
