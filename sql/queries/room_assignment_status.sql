-- Room assignment status: every room with its type, whether it is available, and
-- the name of the patient assigned to it (NULL when empty).
-- Index: uq_room_number orders the 200 rooms; the patient's name comes from the
-- patient PRIMARY KEY (eq_ref), one lookup per occupied room.
SELECT r.room_id,
       r.room_number,
       r.room_type,
       r.is_available,
       r.patient_id,
       CONCAT(p.first_name, ' ', p.last_name) AS patient_name
  FROM room AS r
  LEFT JOIN patient AS p ON p.patient_id = r.patient_id
 ORDER BY r.room_number
