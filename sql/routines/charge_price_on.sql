-- charge_price_on(charge_id, day): the catalogue price of a charge on a day (the price
-- with the latest valid_from on or before it); NULL when it had none yet.
DROP FUNCTION IF EXISTS charge_price_on;

DELIMITER $$
CREATE FUNCTION charge_price_on(p_charge_id INT UNSIGNED, p_day DATE)
RETURNS DECIMAL(10,2)
NOT DETERMINISTIC
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'A charge''s catalogue price on a day'
RETURN (SELECT unit_price FROM charge_price
         WHERE charge_id = p_charge_id AND valid_from <= p_day
         ORDER BY valid_from DESC LIMIT 1)$$
DELIMITER ;
