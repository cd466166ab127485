-- The charge catalogue: each service the hospital bills (a department's consultation, a
-- procedure, the no-show fee, a medication, other services) with a code. Prices are dated,
-- in charge_price.
CREATE TABLE charge_item (
    charge_id     INT UNSIGNED      NOT NULL AUTO_INCREMENT,
    code          VARCHAR(20)       NOT NULL,
    name          VARCHAR(150)      NOT NULL,
    kind          ENUM('Consultation', 'Procedure', 'No-show fee', 'Medication', 'Services') NOT NULL,
    department_id SMALLINT UNSIGNED NULL,
    medication_id INT UNSIGNED      NULL,
    PRIMARY KEY (charge_id),
    UNIQUE KEY uq_charge_item_code (code),
    UNIQUE KEY uq_charge_item_medication (medication_id),
    KEY idx_charge_item_department_kind (department_id, kind),
    CONSTRAINT fk_charge_item_department FOREIGN KEY (department_id) REFERENCES department (department_id),
    CONSTRAINT fk_charge_item_medication FOREIGN KEY (medication_id) REFERENCES medication (medication_id),
    CONSTRAINT chk_charge_item_medication CHECK ((kind = 'Medication') = (medication_id IS NOT NULL)),
    CONSTRAINT chk_charge_item_code CHECK (CHAR_LENGTH(TRIM(code)) > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
