-- find_free_slots walks only the hours some template covers: the earliest start is
-- one dive into this index instead of a scan of every template.
CREATE INDEX idx_doctor_availability_starts ON doctor_availability (starts_time);
