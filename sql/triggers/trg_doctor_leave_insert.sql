-- Leave cannot be recorded over a Scheduled appointment of the doctor: cancel or move
-- those first (cancel_appointment / reschedule_appointment), so that no appointment
-- ever falls in leave. Reads the doctor's claim rows under a shared lock, so a booking
-- racing with the leave either commits first (and this refuses) or waits.
DROP TRIGGER IF EXISTS trg_doctor_leave_insert;

DELIMITER $$
CREATE TRIGGER trg_doctor_leave_insert
BEFORE INSERT ON doctor_leave
FOR EACH ROW
trg: BEGIN
    DECLARE v_message VARCHAR(255);
    IF seed_loader_bypass(@hms_seed_loading) THEN
        LEAVE trg;
    END IF;
    IF EXISTS (SELECT 1 FROM appointment_doctor_claim
                WHERE doctor_id = NEW.doctor_id
                  AND unit_at > NEW.starts_at - INTERVAL 15 MINUTE AND unit_at < NEW.ends_at
                LOCK IN SHARE MODE) THEN
        SET v_message = CONCAT('doctor_leave: doctor ', NEW.doctor_id,
                               ' has Scheduled appointments in that leave; cancel or move them first');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
