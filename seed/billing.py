"""The invoices behind the loaded bills: the charge catalogue, one line per bill, and the payments
that explain every bill's status. Derived from the loaded rows by INSERT ... SELECT in a loader
session (whose triggers skip their per-row work), so it is the same at any worker count.

- catalogue: a consultation per department (the seed's base fee, with a dated price change half
  a year before the dataset's today), the no-show fee, other services, and each medication at its
  unit_price;
- invoice_line: one line per bill for its whole amount (a completed visit's consultation with its
  tests and procedures, a no-show's fee, or a stay's services), so totals equal their lines;
- payment: a Paid bill paid in full and a Partially Paid bill paid 20-80 % after its bill date,
  by the bill's payment method; open and cancelled bills have none.
"""

from __future__ import annotations

from datetime import date

OLDEST_PRICE = date(2000, 1, 1)

CATALOGUE = (
    """INSERT INTO charge_item (code, name, kind, department_id)
       SELECT CONCAT('CONSULT-', department_id), LEFT(CONCAT('Consultation, ', name), 150), 'Consultation', department_id
         FROM department ORDER BY department_id""",
    """INSERT INTO charge_item (code, name, kind) VALUES
       ('NO-SHOW', 'No-show or late cancellation fee', 'No-show fee'),
       ('SERVICES', 'Inpatient stay, laboratory and imaging', 'Services')""",
    """INSERT INTO charge_item (code, name, kind, medication_id)
       SELECT CONCAT('MED-', medication_id), LEFT(name, 150), 'Medication', medication_id
         FROM medication ORDER BY medication_id""",
    # The seed's consultation fee (seed/tables.py billing: 6,000 + department x 1,597 mod 20,000
    # cents), 5 % lower until half a year before today.
    """INSERT INTO charge_price (charge_id, valid_from, unit_price)
       SELECT charge_id, %(oldest)s, ROUND((6000 + MOD(department_id * 1597, 20000)) * 0.95 / 100, 2)
         FROM charge_item WHERE kind = 'Consultation'
       UNION ALL
       SELECT charge_id, %(as_of)s - INTERVAL 182 DAY, (6000 + MOD(department_id * 1597, 20000)) / 100
         FROM charge_item WHERE kind = 'Consultation'
       ORDER BY 1, 2""",
    """INSERT INTO charge_price (charge_id, valid_from, unit_price)
       SELECT charge_id, %(oldest)s, IF(code = 'NO-SHOW', 50.00, 0.00)
         FROM charge_item WHERE code IN ('NO-SHOW', 'SERVICES')""",
    """INSERT INTO charge_price (charge_id, valid_from, unit_price)
       SELECT c.charge_id, %(oldest)s, m.unit_price
         FROM charge_item AS c JOIN medication AS m ON m.medication_id = c.medication_id
        ORDER BY c.charge_id""",
)

INVOICE_LINES = """
INSERT INTO invoice_line (bill_id, charge_id, description, quantity, unit_price)
SELECT b.bill_id, c.charge_id, c.name, 1, b.total_amount
  FROM billing AS b
  LEFT JOIN appointment AS a ON a.appointment_id = b.appointment_id
  LEFT JOIN doctor AS d ON d.doctor_id = a.doctor_id
  JOIN charge_item AS c ON c.code = CASE WHEN b.appointment_id IS NULL THEN 'SERVICES'
                                         WHEN a.status = 'Completed' THEN CONCAT('CONSULT-', d.department_id)
                                         ELSE 'NO-SHOW' END
 ORDER BY b.bill_id
"""

PAYMENTS = """
INSERT INTO payment (bill_id, kind, amount, method, reference, paid_at, recorded_by)
SELECT bill_id, 'Payment',
       IF(payment_status = 'Paid', total_amount, ROUND(total_amount * (20 + MOD(bill_id * 7919, 61)) / 100, 2)),
       IFNULL(payment_method, 'Cash'), CONCAT('SEED-', bill_id),
       LEAST(bill_date + INTERVAL MOD(bill_id * 31, 29) DAY, %(as_of)s) + INTERVAL (540 + MOD(bill_id * 13, 480)) MINUTE,
       'hms seed'
  FROM billing
 WHERE payment_status IN ('Paid', 'Partially Paid')
 ORDER BY bill_id
"""

# (rule, SQL counting the rows that break it); %(as_of)s is the dataset's today.
CHECKS = (
    ("every bill has invoice lines",
     "SELECT COUNT(*) FROM billing AS b WHERE NOT EXISTS (SELECT 1 FROM invoice_line AS l WHERE l.bill_id = b.bill_id)"),
    ("every bill totals its invoice lines",
     """SELECT COUNT(*) FROM billing AS b
          JOIN (SELECT bill_id, SUM(line_total) AS line_sum FROM invoice_line GROUP BY bill_id) AS l USING (bill_id)
         WHERE l.line_sum <> b.total_amount"""),
    ("every bill's status is what its payments make it (none over-paid)",
     """SELECT COUNT(*) FROM billing AS b
          LEFT JOIN (SELECT bill_id, SUM(IF(kind IN ('Payment', 'Refund'), amount, 0)) AS paid,
                            SUM(IF(kind IN ('Discount', 'Write-off'), amount, 0)) AS adjusted,
                            SUM(kind = 'Write-off') AS write_offs
                       FROM payment GROUP BY bill_id) AS p USING (bill_id)
         WHERE NOT CASE
               WHEN b.payment_status IN ('Paid', 'Written Off')
                    THEN COALESCE(p.paid, 0) + COALESCE(p.adjusted, 0) = b.total_amount
                         AND (COALESCE(p.write_offs, 0) > 0) = (b.payment_status = 'Written Off')
               WHEN b.payment_status = 'Partially Paid'
                    THEN p.paid > 0 AND p.paid + p.adjusted < b.total_amount
               ELSE COALESCE(p.paid, 0) = 0 AND COALESCE(p.adjusted, 0) <= b.total_amount END"""),
    ("every department's consultation has a price today",
     """SELECT COUNT(*) FROM department AS d
         WHERE NOT EXISTS (SELECT 1 FROM charge_item AS c JOIN charge_price AS p ON p.charge_id = c.charge_id
                            WHERE c.department_id = d.department_id AND c.kind = 'Consultation'
                              AND p.valid_from <= %(as_of)s)"""),
)


def fill_catalogue(cur, as_of: date) -> None:
    """Insert the charge catalogue and its prices (a loader session's cursor)."""
    args = {"as_of": as_of, "oldest": OLDEST_PRICE}
    for statement in CATALOGUE:
        cur.execute(statement, args)


def fill_invoice_lines(cur, as_of: date) -> None:
    """One line per bill, under the catalogue's charges (after fill_catalogue)."""
    cur.execute(INVOICE_LINES)


def fill_payments(cur, as_of: date) -> None:
    """The payments behind the Paid and Partially Paid bills."""
    cur.execute(PAYMENTS, {"as_of": as_of})
