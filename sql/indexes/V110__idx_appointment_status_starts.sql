-- Scheduled appointments by start time: the seed's claim rebuild and `hms seed verify`'s
-- overlap scans read only the Scheduled rows, in time order.
CREATE INDEX idx_appointment_status_starts ON appointment (status, starts_at);
