-- A doctor's schedule for a day, in order, whatever the status.
CREATE INDEX idx_appointment_doctor_starts ON appointment (doctor_id, starts_at);
