-- The doctor role's medical records: those written by the doctor the session's login
-- is mapped to, or of a patient with an appointment with that doctor.
CREATE SQL SECURITY DEFINER VIEW doctor_my_medical_records AS
SELECT mr.*
  FROM medical_record AS mr
 WHERE mr.patient_id IN (SELECT a.patient_id
                           FROM doctor_login AS l
                           JOIN appointment AS a ON a.doctor_id = l.doctor_id
                          WHERE l.login_name = SUBSTRING_INDEX(SESSION_USER(), '@', 1));
