-- waitlist_expire_offers(): marks open offers past their expiry Expired and puts their
-- patients back to Waiting. Run it periodically (or before offering). DEFINER.
DROP PROCEDURE IF EXISTS waitlist_expire_offers;

DELIMITER $$
CREATE PROCEDURE waitlist_expire_offers()
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Expire open waitlist offers past their expiry'
BEGIN
    UPDATE waitlist_entry AS w JOIN waitlist_offer AS o ON o.waitlist_id = w.waitlist_id
       SET w.status = 'Waiting', o.status = 'Expired'
     WHERE o.status = 'Open' AND o.expires_at <= NOW() AND w.status = 'Offered';
END$$
DELIMITER ;
