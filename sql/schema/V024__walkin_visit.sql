-- A walk-in patient in a department's day queue, in queue_number order: Waiting after
-- check-in, Called, then Seen, or Left (gave up). UNIQUE (department_id, queue_date,
-- queue_number) keeps the order by key; walkin_call_next calls the lowest Waiting number.
CREATE TABLE walkin_visit (
    walkin_id     INT UNSIGNED      NOT NULL AUTO_INCREMENT,
    department_id SMALLINT UNSIGNED NOT NULL,
    queue_date    DATE              NOT NULL,
    queue_number  INT UNSIGNED      NOT NULL,
    patient_id    INT UNSIGNED      NOT NULL,
    status        ENUM('Waiting', 'Called', 'Seen', 'Left') NOT NULL DEFAULT 'Waiting',
    checked_in_at DATETIME          NOT NULL DEFAULT CURRENT_TIMESTAMP,
    called_at     DATETIME          NULL,
    finished_at   DATETIME          NULL,
    PRIMARY KEY (walkin_id),
    UNIQUE KEY uq_walkin_visit_queue (department_id, queue_date, queue_number),
    KEY idx_walkin_visit_status (department_id, queue_date, status, queue_number),
    KEY idx_walkin_visit_patient (patient_id),
    CONSTRAINT fk_walkin_visit_department FOREIGN KEY (department_id) REFERENCES department (department_id),
    CONSTRAINT fk_walkin_visit_patient FOREIGN KEY (patient_id) REFERENCES patient (patient_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
