-- Which medications a department stocks, and how many units are on hand.
CREATE TABLE department_medication (
    department_id  SMALLINT UNSIGNED NOT NULL,
    medication_id  INT UNSIGNED      NOT NULL,
    stock_quantity INT               NOT NULL DEFAULT 0,
    PRIMARY KEY (department_id, medication_id),
    KEY idx_department_medication_medication (medication_id),
    CONSTRAINT fk_department_medication_department FOREIGN KEY (department_id) REFERENCES department (department_id),
    CONSTRAINT fk_department_medication_medication FOREIGN KEY (medication_id) REFERENCES medication (medication_id),
    CONSTRAINT chk_department_medication_stock CHECK (stock_quantity >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
