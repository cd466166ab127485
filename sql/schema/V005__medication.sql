-- A drug the hospital uses, with its unit price.
CREATE TABLE medication (
    medication_id INT UNSIGNED  NOT NULL AUTO_INCREMENT,
    name          VARCHAR(150)  NOT NULL,
    form          ENUM('Tablet', 'Capsule', 'Syrup', 'Injection', 'Ointment', 'Inhaler', 'Drops', 'Patch') NOT NULL,
    strength      VARCHAR(30)   NOT NULL,
    manufacturer  VARCHAR(100)  NOT NULL,
    unit_price    DECIMAL(10,2) NOT NULL,
    PRIMARY KEY (medication_id),
    UNIQUE KEY uq_medication_name (name),
    CONSTRAINT chk_medication_unit_price CHECK (unit_price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
