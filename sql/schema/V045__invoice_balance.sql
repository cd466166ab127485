-- The front desk's view of invoices (issue 17, the receptionist role): each bill's header,
-- what was paid (payments less refunds), adjusted (discounts and write-offs) and the
-- balance left, and its status. No invoice lines: a medication line names what was
-- prescribed, which the front desk may not read. SQL SECURITY DEFINER, so the
-- receptionist role needs SELECT on this view only, not on billing or payment. Grouped
-- by the bill's own columns, so a condition on bill_id or patient_id is pushed into the
-- view's WHERE and served by the primary key or idx_billing_patient_date.
CREATE SQL SECURITY DEFINER VIEW invoice_balance AS
SELECT b.bill_id, b.patient_id, b.appointment_id, b.bill_date, b.due_date, b.total_amount,
       COALESCE(SUM(CASE WHEN p.kind IN ('Payment', 'Refund') THEN p.amount END), 0) AS paid_amount,
       COALESCE(SUM(CASE WHEN p.kind IN ('Discount', 'Write-off') THEN p.amount END), 0) AS adjusted_amount,
       b.total_amount - COALESCE(SUM(p.amount), 0) AS balance,
       b.payment_status
  FROM billing AS b
  LEFT JOIN payment AS p ON p.bill_id = b.bill_id
 GROUP BY b.bill_id, b.patient_id, b.appointment_id, b.bill_date, b.due_date, b.total_amount, b.payment_status;
