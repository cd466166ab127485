-- Public holidays: no doctor with an availability template is booked on these dates.
CREATE TABLE public_holiday (
    holiday_date DATE         NOT NULL,
    name         VARCHAR(100) NOT NULL,
    PRIMARY KEY (holiday_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
