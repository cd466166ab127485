-- Doctor: a clinician. Reads its own schedule, its own patients and their medical records
-- through the definer views doctor_my_appointments, doctor_my_patients and
-- doctor_my_medical_records, which show only the rows of the doctor the login is mapped
-- to in doctor_login (`hms users create NAME --role doctor --doctor-id N`); it holds no
-- SELECT on the tables behind them. Also reads who works when, the free slots, and which
-- medications are in stock (medication_availability).
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_doctor;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor_my_appointments TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor_my_patients TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor_my_medical_records TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.department TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor_availability TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.doctor_leave TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.public_holiday TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;
-- What is in stock to prescribe, through the definer view medication_availability (usable
-- units per department, no prices; nothing about stock may be changed).
SET @hms_grant = CONCAT('GRANT SELECT ON `', REPLACE(DATABASE(), '`', '``'), '`.medication_availability TO hms_doctor');
PREPARE hms_grant_stmt FROM @hms_grant;
EXECUTE hms_grant_stmt;
DEALLOCATE PREPARE hms_grant_stmt;

-- The free slots (routines are granted through sql/routines/grant_routines.sql).
CALL grant_routines('hms_doctor', 'find_free_slots');
