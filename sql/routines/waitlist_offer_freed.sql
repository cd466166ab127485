-- waitlist_offer_freed(doctor, starts_at, duration, seat): offers a slot that just
-- freed to the first Waiting entry (lowest waitlist_id) for that doctor, or for the
-- doctor's department, whose window holds the slot and whose duration fits in it.
-- Called by cancel_appointment and reschedule_appointment in their transaction. The
-- entry is read FOR UPDATE SKIP LOCKED, so two slots freed at the same instant go to
-- two different patients; waitlist_offer's unique keys make one slot offered to one
-- patient and one patient hold one open offer, whatever the timing. Nothing is
-- offered if the slot is not wholly free (e.g. a reschedule onto an overlapping time).
DROP PROCEDURE IF EXISTS waitlist_offer_freed;

DELIMITER $$
CREATE PROCEDURE waitlist_offer_freed(
    IN p_doctor_id INT UNSIGNED,
    IN p_starts_at DATETIME,
    IN p_duration  SMALLINT UNSIGNED,
    IN p_seat      TINYINT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Offer a freed slot to the first matching waiting patient'
offer: BEGIN
    DECLARE v_department SMALLINT UNSIGNED;
    DECLARE v_entry INT UNSIGNED;
    DECLARE v_needed SMALLINT UNSIGNED;
    DECLARE v_taken BOOLEAN DEFAULT FALSE;

    IF EXISTS (SELECT 1 FROM appointment_doctor_claim
                WHERE doctor_id = p_doctor_id AND seat = p_seat
                  AND unit_at > p_starts_at - INTERVAL 15 MINUTE
                  AND unit_at < p_starts_at + INTERVAL p_duration MINUTE) THEN
        LEAVE offer;
    END IF;
    SELECT department_id INTO v_department FROM doctor WHERE doctor_id = p_doctor_id;
    SELECT waitlist_id, duration_minutes INTO v_entry, v_needed
      FROM waitlist_entry
     WHERE status = 'Waiting' AND (doctor_id = p_doctor_id OR department_id = v_department)
       AND window_from <= p_starts_at AND window_to > p_starts_at AND duration_minutes <= p_duration
     ORDER BY waitlist_id
     LIMIT 1
       FOR UPDATE SKIP LOCKED;
    IF v_entry IS NULL THEN
        LEAVE offer;
    END IF;
    BEGIN
        DECLARE EXIT HANDLER FOR 1062 SET v_taken = TRUE;
        INSERT INTO waitlist_offer (waitlist_id, doctor_id, starts_at, duration_minutes, seat, expires_at)
        VALUES (v_entry, p_doctor_id, p_starts_at, v_needed, p_seat,
                LEAST(p_starts_at, NOW() + INTERVAL 2 HOUR));
    END;
    IF NOT v_taken THEN
        UPDATE waitlist_entry SET status = 'Offered' WHERE waitlist_id = v_entry;
    END IF;
END$$
DELIMITER ;
