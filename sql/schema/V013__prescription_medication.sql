-- The medications on a prescription. Inserting a row takes its quantity out of
-- the prescribing doctor's department's stock (trg_prescription_medication_stock).
CREATE TABLE prescription_medication (
    prescription_id INT UNSIGNED      NOT NULL,
    medication_id   INT UNSIGNED      NOT NULL,
    dosage          VARCHAR(50)       NOT NULL,
    frequency       VARCHAR(50)       NOT NULL,
    duration_days   SMALLINT UNSIGNED NOT NULL,
    quantity        INT               NOT NULL,
    PRIMARY KEY (prescription_id, medication_id),
    KEY idx_prescription_medication_medication (medication_id),
    CONSTRAINT fk_prescription_medication_prescription FOREIGN KEY (prescription_id) REFERENCES prescription (prescription_id) ON DELETE CASCADE,
    CONSTRAINT fk_prescription_medication_medication FOREIGN KEY (medication_id) REFERENCES medication (medication_id),
    CONSTRAINT chk_prescription_medication_quantity CHECK (quantity > 0),
    CONSTRAINT chk_prescription_medication_duration CHECK (duration_days BETWEEN 1 AND 365)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
