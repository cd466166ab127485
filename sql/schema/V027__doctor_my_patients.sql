-- The doctor role's patients: those with at least one appointment with the doctor the
-- session's login is mapped to (see doctor_my_appointments for how "own" is decided).
CREATE SQL SECURITY DEFINER VIEW doctor_my_patients AS
SELECT p.patient_id, p.first_name, p.last_name, p.date_of_birth, p.gender, p.blood_type, p.phone, p.email
  FROM patient AS p
 WHERE p.patient_id IN (SELECT a.patient_id
                          FROM doctor_login AS l
                          JOIN appointment AS a ON a.doctor_id = l.doctor_id
                         WHERE l.login_name = SUBSTRING_INDEX(SESSION_USER(), '@', 1));
