-- calculate_discounted_bill(amount, discount_percent): the amount after the discount,
-- rounded to the cent. A discount outside 0-100 or a negative amount is an error,
-- never a silently wrong number.
DROP FUNCTION IF EXISTS calculate_discounted_bill;

DELIMITER $$
CREATE FUNCTION calculate_discounted_bill(p_amount DECIMAL(12,2), p_discount_percent DECIMAL(5,2))
RETURNS DECIMAL(12,2)
DETERMINISTIC
NO SQL
SQL SECURITY INVOKER
COMMENT 'Amount after a 0-100 percent discount'
BEGIN
    IF p_amount IS NULL OR p_discount_percent IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_discount_percent < 0 OR p_discount_percent > 100 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'calculate_discounted_bill: discount_percent must be between 0 and 100';
    END IF;
    IF p_amount < 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'calculate_discounted_bill: amount must not be negative';
    END IF;
    RETURN ROUND(p_amount * (100 - p_discount_percent) / 100, 2);
END$$
DELIMITER ;
