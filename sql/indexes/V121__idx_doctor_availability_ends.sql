-- find_free_slots walks only the hours some template covers: the latest end is one
-- dive into this index instead of a scan of every template.
CREATE INDEX idx_doctor_availability_ends ON doctor_availability (ends_time);
