-- seed_loader_bypass(secret): whether a session may skip the per-row work of the stock
-- and billing-summary triggers. FALSE for everyone, except while `hms seed` loads.
-- A trigger runs as its definer and cannot see which account its invoker logged in as
-- (CURRENT_USER() in a trigger is the definer; USER() is whatever name the client
-- typed), so the bypass is a secret, not a name: for the length of a load `hms seed`
-- re-creates this function to accept the SHA-256 of a random secret that only its
-- loader sessions hold (in @hms_seed_loading), then re-creates it from this file.
-- Re-creating a routine takes ALTER ROUTINE on the database, which only accounts that
-- may change the stock directly hold. See seed/bulk_load.py (LoaderAccount).
DROP FUNCTION IF EXISTS seed_loader_bypass;

DELIMITER $$
CREATE FUNCTION seed_loader_bypass(p_secret VARCHAR(100))
RETURNS BOOLEAN
DETERMINISTIC
NO SQL
SQL SECURITY INVOKER
COMMENT 'FALSE unless hms seed is loading and p_secret is its loader secret'
RETURN FALSE$$
DELIMITER ;
