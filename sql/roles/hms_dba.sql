-- DBA: highest authority (security, performance, backups, users). ALL PRIVILEGES server-wide, WITH GRANT OPTION.
-- Applied by `hms db migrate` after the routines, which first revokes whatever the
-- role held on this database, so the file states the role's privileges exactly.
-- GRANT ... ON <this database> goes through PREPARE because the database name is
-- whatever this file runs in (DATABASE()); the file also runs in the mysql client.
CREATE ROLE IF NOT EXISTS hms_dba;
GRANT ALL PRIVILEGES ON *.* TO hms_dba WITH GRANT OPTION;

-- MariaDB: ALL PRIVILEGES includes READ ONLY ADMIN, which lets its holder write on a
-- read_only server. A DBA must not write on a replica (or on a primary fenced for a
-- switchover): only the server's own administrative account can (docs/replication.md).
-- MySQL blocks SUPER holders with super_read_only instead, so there is nothing to revoke.
SET @hms_revoke = IF(VERSION() LIKE '%MariaDB%', 'REVOKE READ_ONLY ADMIN ON *.* FROM hms_dba', 'DO 0');
PREPARE hms_revoke_stmt FROM @hms_revoke;
EXECUTE hms_revoke_stmt;
DEALLOCATE PREPARE hms_revoke_stmt;
