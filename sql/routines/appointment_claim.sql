-- appointment_claim(...): the key rows of a Scheduled appointment, one per 15-minute
-- unit it covers: (doctor, unit, seat) in appointment_doctor_claim and (patient, unit)
-- in appointment_patient_claim. A unit already held makes the primary key refuse the
-- INSERT; a concurrent holder's lock makes it wait until that one commits or rolls
-- back, so of two overlapping bookings exactly one wins whatever the timing. The
-- doctor's conflict is raised as error 1062 (a duplicate key, which book_slot answers
-- by trying the slot's next seat), the patient's as a plain refusal. Units are taken
-- in ascending time, doctor before patient, so bookings do not deadlock each other.
-- Called only by the appointment triggers.
DROP PROCEDURE IF EXISTS appointment_claim;

DELIMITER $$
CREATE PROCEDURE appointment_claim(
    IN p_appointment_id INT UNSIGNED,
    IN p_doctor_id      INT UNSIGNED,
    IN p_patient_id     INT UNSIGNED,
    IN p_starts_at      DATETIME,
    IN p_duration       SMALLINT UNSIGNED,
    IN p_seat           TINYINT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
COMMENT 'Take the claim rows of a Scheduled appointment (by primary key)'
BEGIN
    DECLARE v_first DATETIME DEFAULT p_starts_at
        - INTERVAL (MOD(MINUTE(p_starts_at), 15) * 60 + SECOND(p_starts_at)) SECOND;
    DECLARE v_ends DATETIME DEFAULT p_starts_at + INTERVAL p_duration MINUTE;
    DECLARE v_unit DATETIME;
    DECLARE v_message VARCHAR(255);

    BEGIN
        DECLARE EXIT HANDLER FOR 1062
        BEGIN
            SET v_message = CONCAT('appointment: doctor ', p_doctor_id, ' is already booked at ',
                                   DATE_FORMAT(v_unit, '%Y-%m-%d %H:%i'), ' (place ', p_seat + 1,
                                   '); choose another time');
            SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 1062, MESSAGE_TEXT = v_message;
        END;
        SET v_unit = v_first;
        WHILE v_unit < v_ends DO
            INSERT INTO appointment_doctor_claim (doctor_id, unit_at, seat, appointment_id)
            VALUES (p_doctor_id, v_unit, p_seat, p_appointment_id);
            SET v_unit = v_unit + INTERVAL 15 MINUTE;
        END WHILE;
    END;
    BEGIN
        DECLARE EXIT HANDLER FOR 1062
        BEGIN
            SET v_message = CONCAT('appointment: patient ', p_patient_id, ' already has an appointment at ',
                                   DATE_FORMAT(v_unit, '%Y-%m-%d %H:%i'), '; choose another time');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END;
        SET v_unit = v_first;
        WHILE v_unit < v_ends DO
            INSERT INTO appointment_patient_claim (patient_id, unit_at, appointment_id)
            VALUES (p_patient_id, v_unit, p_appointment_id);
            SET v_unit = v_unit + INTERVAL 15 MINUTE;
        END WHILE;
    END;
END$$
DELIMITER ;
