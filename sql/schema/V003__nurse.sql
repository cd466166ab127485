-- A nurse assigned to one department and one shift.
CREATE TABLE nurse (
    nurse_id      INT UNSIGNED      NOT NULL AUTO_INCREMENT,
    first_name    VARCHAR(50)       NOT NULL,
    last_name     VARCHAR(50)       NOT NULL,
    department_id SMALLINT UNSIGNED NOT NULL,
    shift         ENUM('Morning', 'Evening', 'Night') NOT NULL,
    email         VARCHAR(254)      NOT NULL,
    phone         VARCHAR(20)       NULL,
    hire_date     DATE              NOT NULL,
    PRIMARY KEY (nurse_id),
    UNIQUE KEY uq_nurse_email (email),
    KEY idx_nurse_department (department_id),
    CONSTRAINT fk_nurse_department FOREIGN KEY (department_id) REFERENCES department (department_id),
    CONSTRAINT chk_nurse_email CHECK (email LIKE '%_@_%')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
