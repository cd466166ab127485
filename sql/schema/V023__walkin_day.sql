-- A department's walk-in queue for a day: the last queue number handed out. Checking
-- in takes the next number with one upsert on this row (walkin_check_in), so two
-- receptionists checking patients in at once get different, consecutive numbers.
CREATE TABLE walkin_day (
    department_id SMALLINT UNSIGNED NOT NULL,
    queue_date    DATE              NOT NULL,
    last_number   INT UNSIGNED      NOT NULL,
    PRIMARY KEY (department_id, queue_date),
    CONSTRAINT fk_walkin_day_department FOREIGN KEY (department_id) REFERENCES department (department_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
