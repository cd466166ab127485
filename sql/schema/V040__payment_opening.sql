-- Data migration: the payments that explain the statuses bills already have. A Paid bill
-- was paid in full on its bill date; a Partially Paid bill's amount was never recorded,
-- so half of it is recorded, with a reference saying so (a bill with a status and no
-- record of the money is what this model replaces). Runs before the payment triggers
-- exist. On an empty database a no-op.
INSERT INTO payment (bill_id, kind, amount, method, reference, paid_at, reason, recorded_by)
SELECT bill_id, 'Payment',
       IF(payment_status = 'Paid', total_amount, ROUND(total_amount / 2, 2)),
       IFNULL(payment_method, 'Cash'),
       IF(payment_status = 'Paid', 'migrated', 'migrated: amount not recorded, half assumed'),
       bill_date, NULL, CURRENT_USER()
  FROM billing
 WHERE (payment_status = 'Paid' AND total_amount > 0)
    OR (payment_status = 'Partially Paid' AND total_amount >= 0.02)
 ORDER BY bill_id;
