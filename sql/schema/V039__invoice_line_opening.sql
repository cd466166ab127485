-- Data migration: every bill that already exists becomes an invoice with one line for
-- its amount, under the catalogue's BILLED charge, so its total equals its lines. One
-- INSERT ... SELECT over billing (6 million rows at scale 1.0: about a minute, one
-- transaction, written in primary-key order); it runs before the invoice_line triggers
-- exist, so no bill is rewritten. On an empty database it inserts the charge only.
INSERT INTO charge_item (code, name, kind) VALUES ('BILLED', 'Amount billed before itemised invoices', 'Services');

INSERT INTO invoice_line (bill_id, charge_id, description, quantity, unit_price)
SELECT b.bill_id, c.charge_id, c.name, 1, b.total_amount
  FROM billing AS b
  JOIN charge_item AS c ON c.code = 'BILLED'
 ORDER BY b.bill_id;
