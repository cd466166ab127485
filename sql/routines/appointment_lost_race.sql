-- appointment_lost_race(caller, own transaction?, attempt, subject): what cancel_appointment
-- and reschedule_appointment do after their change lost a deadlock (1213) or a lock wait
-- (1205). ROLLBACK first, always: a deadlock rolled the whole transaction back, a lock
-- wait only the statement, and on Galera a session aborted by a replicated write set
-- answers 1213 until it rolls back (docs/cluster.md). Then, inside the caller's own
-- transaction, the caller is told to run it again; in the routine's own transaction it
-- returns after a short random pause for another attempt, up to the 8th, after which the
-- subject is "in heavy demand". SQL SECURITY INVOKER, granted to nobody.
DROP PROCEDURE IF EXISTS appointment_lost_race;

DELIMITER $$
CREATE PROCEDURE appointment_lost_race(
    IN p_caller  VARCHAR(64),
    IN p_own     BOOLEAN,
    IN p_attempt INT,
    IN p_subject VARCHAR(100)
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Roll back a change that lost a lock race; refuse it, or pause before it is tried again'
BEGIN
    DECLARE v_message VARCHAR(255);

    ROLLBACK;
    SET @hms_status_reason = NULL;
    IF NOT p_own THEN
        SET v_message = CONCAT(p_caller, ': the change lost a lock race and the transaction was rolled back; ',
                               'run the transaction again');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF p_attempt >= 8 THEN
        SET v_message = CONCAT(p_caller, ': ', p_subject, ' is in heavy demand; nothing was changed; ',
                               'try again in a moment');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    DO SLEEP(RAND() * 0.01 * p_attempt);
END$$
DELIMITER ;
