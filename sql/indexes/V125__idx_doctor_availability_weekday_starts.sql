-- find_free_slots, for a department, starts each day's walk at the earliest start of any
-- template of the hospital valid that day: from this index, read in (weekday, starts_time)
-- order, the first valid row answers it (usually the first row read), and a weekday no
-- template covers (a Sunday) gives none. A Saturday, where one doctor in ten works from
-- 09:00, no longer costs a first step at 08:00 and a read of the day's hours, each over
-- every doctor of the department. Carries the validity columns, so the rows are checked in
-- the index. Replaces idx_doctor_availability_weekday (V124), which it serves as too: the
-- DROP below also keeps `hms seed` from re-creating that one after its load.
CREATE INDEX idx_doctor_availability_weekday_starts
    ON doctor_availability (weekday, starts_time, valid_from, valid_to);
DROP INDEX idx_doctor_availability_weekday ON doctor_availability;
