-- DBA: highest authority (security, performance, backups, users). ALL PRIVILEGES server-wide, WITH GRANT OPTION.
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_dba;
GRANT ALL PRIVILEGES ON *.* TO hms_dba WITH GRANT OPTION;
