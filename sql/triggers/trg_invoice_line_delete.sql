-- An invoice line deleted: its bill's total becomes the sum of its lines again, and its
-- status what its payments then make it (billing_refresh_total). The UPDATE of the bill
-- locks it, so concurrent changes to one invoice's lines queue.
-- Bulk load: `hms seed` writes bills whose totals already equal their lines, so its
-- loader (a session holding the load's secret, seed_loader_bypass) skips this.
DROP TRIGGER IF EXISTS trg_invoice_line_delete;

DELIMITER $$
CREATE TRIGGER trg_invoice_line_delete
AFTER DELETE ON invoice_line
FOR EACH ROW
trg: BEGIN
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    CALL billing_refresh_total(OLD.bill_id);
END$$
DELIMITER ;
