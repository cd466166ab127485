-- find_free_slots, for a department, first asks whether any template of the hospital covers
-- a day's weekday: from this index a Sunday without any template is answered without
-- reading a row, instead of every doctor of the department read twice (the day's first
-- step, then its hours) before the day is found empty.
CREATE INDEX idx_doctor_availability_weekday
    ON doctor_availability (weekday, valid_from, valid_to);
