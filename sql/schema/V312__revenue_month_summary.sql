-- Bills and billed amount per month (of bill_date) and department (of the bill's
-- appointment's doctor; 0 for a bill not linked to an appointment), cancelled bills left
-- out: the dashboard's revenue per month and per department read a few hundred rows, not 6M
-- bills. Refreshed on a schedule with visit_week_summary (V310).
CREATE TABLE revenue_month_summary (
    month_start   DATE              NOT NULL,
    department_id SMALLINT UNSIGNED NOT NULL,
    bills         INT               NOT NULL,
    revenue       DECIMAL(16,2)     NOT NULL,
    PRIMARY KEY (month_start, department_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO revenue_month_summary (month_start, department_id, bills, revenue)
SELECT DATE_SUB(b.bill_date, INTERVAL DAYOFMONTH(b.bill_date) - 1 DAY), COALESCE(d.department_id, 0),
       COUNT(*), SUM(b.total_amount)
  FROM billing AS b
  LEFT JOIN appointment AS a ON a.appointment_id = b.appointment_id
  LEFT JOIN doctor AS d ON d.doctor_id = a.doctor_id
 WHERE b.payment_status <> 'Cancelled'
 GROUP BY 1, 2;
