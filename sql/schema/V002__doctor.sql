-- A physician with a specialization, working in one department.
CREATE TABLE doctor (
    doctor_id      INT UNSIGNED      NOT NULL AUTO_INCREMENT,
    first_name     VARCHAR(50)       NOT NULL,
    last_name      VARCHAR(50)       NOT NULL,
    specialization VARCHAR(100)      NOT NULL,
    department_id  SMALLINT UNSIGNED NOT NULL,
    email          VARCHAR(254)      NOT NULL,
    phone          VARCHAR(20)       NULL,
    license_number VARCHAR(20)       NOT NULL,
    hire_date      DATE              NOT NULL,
    PRIMARY KEY (doctor_id),
    UNIQUE KEY uq_doctor_email (email),
    UNIQUE KEY uq_doctor_license (license_number),
    KEY idx_doctor_department (department_id),
    CONSTRAINT fk_doctor_department FOREIGN KEY (department_id) REFERENCES department (department_id),
    CONSTRAINT chk_doctor_email CHECK (email LIKE '%_@_%')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
