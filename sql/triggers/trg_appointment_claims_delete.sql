-- A deleted Scheduled appointment gives back its claim rows. Its status history stays.
DROP TRIGGER IF EXISTS trg_appointment_claims_delete;

DELIMITER $$
CREATE TRIGGER trg_appointment_claims_delete
AFTER DELETE ON appointment
FOR EACH ROW
BEGIN
    IF OLD.status = 'Scheduled' THEN
        CALL appointment_release(OLD.appointment_id, OLD.doctor_id, OLD.patient_id, OLD.starts_at,
                                 OLD.duration_minutes, OLD.seat);
    END IF;
END$$
DELIMITER ;
