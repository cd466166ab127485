"""Stock lots and the stock ledger behind the loaded stock levels. Derived from the loaded rows by
INSERT ... SELECT in a loader session (whose triggers skip their per-row work), so it is the same
at any worker count.

Each department's medication is split over three lots (A 15 %, B 35 %, C the rest of its
stock_quantity). Lot A is the oldest: for about 30 % of the pairs it has expired, for about 20 %
it expires within 30 days; B expires in 4-12 months, C in 13-24. The ledger holds a Receipt per
lot and, for lot C, one Dispense row per month of the last twelve with that month's prescribed
units (received 13 months ago with them included), so every lot is the sum of its ledger rows,
its last balance_after its quantity, and every stock level the sum of its lots.
"""

from __future__ import annotations

from datetime import date

PAIR_HASH = "MOD(dm.department_id * 7919 + dm.medication_id * 104729, 1000)"

LOTS = f"""
INSERT INTO stock_lot (department_id, medication_id, lot_number, expiry_date, quantity, received_at)
SELECT department_id, medication_id, lot_number, expiry_date, quantity, received_at FROM (
    SELECT dm.department_id, dm.medication_id, CONCAT('L', dm.department_id, '-', dm.medication_id, '-A') AS lot_number,
           %(as_of)s + INTERVAL (CAST(MOD({PAIR_HASH}, 150) AS SIGNED) - 45) DAY AS expiry_date,
           FLOOR(dm.stock_quantity * 0.15) AS quantity, %(as_of)s - INTERVAL 300 DAY AS received_at
      FROM department_medication AS dm
    UNION ALL
    SELECT dm.department_id, dm.medication_id, CONCAT('L', dm.department_id, '-', dm.medication_id, '-B'),
           %(as_of)s + INTERVAL (120 + MOD({PAIR_HASH}, 240)) DAY,
           FLOOR(dm.stock_quantity * 0.35), %(as_of)s - INTERVAL 60 DAY
      FROM department_medication AS dm
    UNION ALL
    SELECT dm.department_id, dm.medication_id, CONCAT('L', dm.department_id, '-', dm.medication_id, '-C'),
           %(as_of)s + INTERVAL (400 + MOD({PAIR_HASH}, 330)) DAY,
           dm.stock_quantity - FLOOR(dm.stock_quantity * 0.15) - FLOOR(dm.stock_quantity * 0.35),
           %(as_of)s - INTERVAL 13 MONTH
      FROM department_medication AS dm
) AS lots
ORDER BY department_id, medication_id, lot_number
"""

# Units prescribed per department, medication and month over the last twelve months. The
# prescriptions of those months first (STRAIGHT_JOIN): the optimizer would start from the
# doctors and join every record before the date filter (scale 0.1: 2.7 s instead of 0.95).
MONTHLY_USE = """
SELECT d.department_id, pm.medication_id, DATE_FORMAT(p.prescribed_at, '%%Y-%%m-01') AS month,
       SUM(pm.quantity) AS units
  FROM prescription AS p
  STRAIGHT_JOIN medical_record AS mr ON mr.record_id = p.record_id
  STRAIGHT_JOIN doctor AS d ON d.doctor_id = mr.doctor_id
  STRAIGHT_JOIN prescription_medication AS pm ON pm.prescription_id = p.prescription_id
 WHERE p.prescribed_at >= %(as_of)s - INTERVAL 12 MONTH AND p.prescribed_at < %(as_of)s
 GROUP BY d.department_id, pm.medication_id, month
"""

LEDGER = f"""
INSERT INTO stock_ledger (lot_id, department_id, medication_id, movement, quantity, balance_after, moved_at,
                          moved_by, reason)
SELECT lot_id, department_id, medication_id, movement, quantity, balance_after, moved_at, 'hms seed', reason FROM (
    SELECT l.lot_id, l.department_id, l.medication_id, 'Receipt' AS movement,
           l.quantity + COALESCE(u.total, 0) AS quantity, l.quantity + COALESCE(u.total, 0) AS balance_after,
           l.received_at AS moved_at, 'delivery' AS reason, 0 AS step
      FROM stock_lot AS l
      LEFT JOIN (SELECT department_id, medication_id, SUM(units) AS total FROM ({MONTHLY_USE}) AS m
                  GROUP BY department_id, medication_id) AS u
        ON l.lot_number LIKE '%%-C' AND u.department_id = l.department_id AND u.medication_id = l.medication_id
     WHERE l.quantity + COALESCE(u.total, 0) > 0
    UNION ALL
    SELECT l.lot_id, l.department_id, l.medication_id, 'Dispense', -w.units,
           l.quantity + w.total - w.running, LEAST(w.month + INTERVAL 14 DAY, %(as_of)s - INTERVAL 1 DAY),
           'prescriptions of the month', 1 + DATEDIFF(w.month, '2000-01-01')
      FROM (SELECT department_id, medication_id, month, units,
                   SUM(units) OVER (PARTITION BY department_id, medication_id) AS total,
                   SUM(units) OVER (PARTITION BY department_id, medication_id ORDER BY month) AS running
              FROM ({MONTHLY_USE}) AS m) AS w
      JOIN stock_lot AS l ON l.department_id = w.department_id AND l.medication_id = w.medication_id
                         AND l.lot_number = CONCAT('L', w.department_id, '-', w.medication_id, '-C')
) AS movements
ORDER BY department_id, medication_id, lot_id, step
"""

CHECKS = (
    ("every stock level is the sum of its lots",
     """SELECT COUNT(*) FROM department_medication AS dm
          LEFT JOIN (SELECT department_id, medication_id, SUM(quantity) AS lots FROM stock_lot
                      GROUP BY department_id, medication_id) AS l USING (department_id, medication_id)
         WHERE COALESCE(l.lots, 0) <> dm.stock_quantity"""),
    ("every lot is the sum of its ledger rows, none negative",
     """SELECT COUNT(*) FROM stock_lot AS l
          LEFT JOIN (SELECT lot_id, SUM(quantity) AS moved FROM stock_ledger GROUP BY lot_id) AS s USING (lot_id)
         WHERE COALESCE(s.moved, 0) <> l.quantity OR l.quantity < 0"""),
    ("every lot's last ledger balance is its quantity",
     """SELECT COUNT(*) FROM stock_lot AS l
          JOIN (SELECT lot_id, MAX(entry_id) AS last FROM stock_ledger GROUP BY lot_id) AS t USING (lot_id)
          JOIN stock_ledger AS s ON s.entry_id = t.last
         WHERE s.balance_after <> l.quantity"""),
)
# (rule, SQL returning a count, minimum it must reach): realism of the expiry dates.
SHARES = (
    ("some lots have expired with units on hand", "SELECT COUNT(*) FROM stock_lot WHERE quantity > 0 "
     "AND expiry_date < %(as_of)s", 1),
    ("some lots expire within 30 days", "SELECT COUNT(*) FROM stock_lot WHERE quantity > 0 "
     "AND expiry_date BETWEEN %(as_of)s AND %(as_of)s + INTERVAL 30 DAY", 1),
)


def fill(cur, as_of: date) -> None:
    """Insert the lots and the ledger (a loader session's cursor)."""
    cur.execute(LOTS, {"as_of": as_of})
    cur.execute(LEDGER, {"as_of": as_of})
