-- find_free_slots asks, per doctor and 15-minute step, which template of that weekday
-- covers the step (its times, slot length, capacity and validity): this index holds
-- every column it reads, so a probe reads the doctor's templates from the index alone,
-- without a row lookup per template as idx_doctor_availability_doctor (doctor_id,
-- weekday, valid_from) needs, and the time conditions are checked on index entries.
CREATE INDEX idx_doctor_availability_doctor_cover
    ON doctor_availability (doctor_id, weekday, starts_time, ends_time, slot_minutes, capacity, valid_from, valid_to);
