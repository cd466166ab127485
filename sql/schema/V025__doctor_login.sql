-- Which doctor a MySQL login is: the doctor role's views show only rows of the doctor
-- the session's login (the user part of SESSION_USER()) is mapped to. Written by
-- `hms users create NAME --role doctor --doctor-id N`; a login not here sees nothing.
CREATE TABLE doctor_login (
    login_name VARCHAR(80)  NOT NULL,
    doctor_id  INT UNSIGNED NOT NULL,
    PRIMARY KEY (login_name),
    KEY idx_doctor_login_doctor (doctor_id),
    CONSTRAINT fk_doctor_login_doctor FOREIGN KEY (doctor_id) REFERENCES doctor (doctor_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
