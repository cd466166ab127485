-- find_free_slots asks, per doctor and slot, whether leave overlaps the slot
-- (ends_at after its start, starts_at before its end): this index holds all three
-- columns, so the check reads the doctor's leave from it alone, without a row lookup
-- per leave as idx_doctor_leave_doctor (doctor_id, starts_at) needs for ends_at.
CREATE INDEX idx_doctor_leave_doctor_ends ON doctor_leave (doctor_id, ends_at, starts_at);
