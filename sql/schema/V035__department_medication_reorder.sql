-- Reorder alerts: the level at or below which a department's usable stock of a
-- medication should be reordered, and how much to order (view stock_below_reorder).
-- Columns with defaults added at the end: instant on MariaDB 10.11 and MySQL 8.
ALTER TABLE department_medication
    ADD COLUMN reorder_level    INT NOT NULL DEFAULT 0,
    ADD COLUMN reorder_quantity INT NOT NULL DEFAULT 0,
    ADD CONSTRAINT chk_department_medication_reorder CHECK (reorder_level >= 0 AND reorder_quantity >= 0);
