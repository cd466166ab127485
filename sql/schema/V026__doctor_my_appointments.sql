-- The doctor role's schedule: the appointments of the doctor this session's login is
-- mapped to in doctor_login. SQL SECURITY DEFINER, so the role needs SELECT on this
-- view only; SESSION_USER() is the login the client authenticated as (CURRENT_USER()
-- would be the view's definer), so each doctor login sees its own rows and no others.
CREATE SQL SECURITY DEFINER VIEW doctor_my_appointments AS
SELECT a.appointment_id, a.patient_id, a.doctor_id, a.starts_at, a.duration_minutes, a.status, a.reason
  FROM doctor_login AS l
  JOIN appointment AS a ON a.doctor_id = l.doctor_id
 WHERE l.login_name = SUBSTRING_INDEX(SESSION_USER(), '@', 1);
