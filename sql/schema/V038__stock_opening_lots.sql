-- Data migration: a database that already holds stock gets one lot per department and
-- medication holding it (lot number OPENING, expiry not recorded) and the Opening
-- ledger row that explains it. One statement each over department_medication (a few
-- thousand rows at every scale); runs before the stock triggers exist, so it moves
-- nothing twice. On an empty database both are no-ops.
INSERT INTO stock_lot (department_id, medication_id, lot_number, expiry_date, quantity)
SELECT department_id, medication_id, 'OPENING', NULL, stock_quantity
  FROM department_medication
 WHERE stock_quantity > 0;

INSERT INTO stock_ledger (lot_id, department_id, medication_id, movement, quantity, balance_after, moved_by, reason)
SELECT lot_id, department_id, medication_id, 'Opening', quantity, quantity, CURRENT_USER(),
       'stock held before stock lots existed'
  FROM stock_lot
 WHERE lot_number = 'OPENING';
