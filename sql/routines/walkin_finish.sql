-- walkin_finish(walkin id, status): a called walk-in was Seen, or a waiting or called
-- one Left. Any other change is refused. SQL SECURITY DEFINER.
DROP PROCEDURE IF EXISTS walkin_finish;

DELIMITER $$
CREATE PROCEDURE walkin_finish(IN p_walkin_id INT UNSIGNED, IN p_status VARCHAR(10))
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'Mark a walk-in Seen (after Called) or Left'
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('Seen', 'Left') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'walkin_finish: the status is Seen or Left';
    END IF;
    UPDATE walkin_visit SET status = p_status, finished_at = NOW()
     WHERE walkin_id = p_walkin_id
       AND (status = 'Called' OR (status = 'Waiting' AND p_status = 'Left'));
    IF ROW_COUNT() = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'walkin_finish: no such walk-in waiting or called (Seen needs Called first)';
    END IF;
END$$
DELIMITER ;
