-- Variable durations and slot capacity. duration_minutes: how long the appointment
-- lasts (a multiple of 15; the existing appointments are 30). seat: which of the slot's
-- `capacity` places it takes (0 for a slot of one patient, as every existing row).
-- uq_appointment_doctor_slot becomes (doctor_id, active_slot, seat): still one
-- appointment per doctor, start and place, so two sessions booking the same start and
-- place cannot both win; overlaps of different starts are refused by the claim
-- tables' primary keys (appointment_doctor_claim, appointment_patient_claim).
ALTER TABLE appointment
    ADD COLUMN duration_minutes SMALLINT UNSIGNED NOT NULL DEFAULT 30 AFTER starts_at,
    ADD COLUMN seat TINYINT UNSIGNED NOT NULL DEFAULT 0 AFTER duration_minutes,
    DROP INDEX uq_appointment_doctor_slot,
    ADD UNIQUE KEY uq_appointment_doctor_slot (doctor_id, active_slot, seat),
    ADD CONSTRAINT chk_appointment_duration CHECK (duration_minutes BETWEEN 15 AND 480 AND MOD(duration_minutes, 15) = 0),
    ADD CONSTRAINT chk_appointment_seat CHECK (seat < 20);
