-- A medical unit: Cardiology, Pediatrics, Surgery, ...
CREATE TABLE department (
    department_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name          VARCHAR(100) NOT NULL,
    location      VARCHAR(100) NOT NULL,
    phone         VARCHAR(20)  NULL,
    created_at    TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (department_id),
    UNIQUE KEY uq_department_name (name),
    CONSTRAINT chk_department_name CHECK (CHAR_LENGTH(TRIM(name)) > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
