-- Front-desk staff: registers patients and schedules appointments.
CREATE TABLE receptionist (
    receptionist_id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    first_name      VARCHAR(50)  NOT NULL,
    last_name       VARCHAR(50)  NOT NULL,
    email           VARCHAR(254) NOT NULL,
    phone           VARCHAR(20)  NULL,
    hire_date       DATE         NOT NULL,
    PRIMARY KEY (receptionist_id),
    UNIQUE KEY uq_receptionist_email (email),
    CONSTRAINT chk_receptionist_email CHECK (email LIKE '%_@_%')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
