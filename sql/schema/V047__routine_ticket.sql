-- hms_ticket.routine_ticket: the ticket of the routines that alone write payments and stock
-- movements (record_payment, record_adjustment, stock_receive, stock_transfer, stock_adjust,
-- stock_destroy_expired). routine_ticket_take() inserts this session's row after the
-- routine's START TRANSACTION, routine_ticket_release() deletes it before its COMMIT, and
-- routine_ticket_held() (the payment and stock_ledger triggers) looks it up by primary key.
-- So a row is never committed: a killed or failed call rolls it back with its work, and no
-- statement is DDL (the temporary table this replaces cost two file operations per call).
-- The key is the session: CONNECTION_ID() and @@GLOBAL.server_id, since the nodes of a cluster
-- (each with its own server_id, hms/cluster) reuse each other's connection ids.
-- It lives outside this database on purpose: hms_developer and hms_qa may write every table
-- of this database, but no hms role holds anything on hms_ticket; only accounts with
-- privileges on every database (the administrative login, hms_dba) may write it. One table
-- per server, shared by every hms database on it: the first migrate creates it, the others
-- find it (IF NOT EXISTS). The name is reserved: an hms database called hms_ticket would hold
-- the table among its own, where developers may write it, so this file refuses to run there.
SET @hms_ticket_guard = IF(DATABASE() = 'hms_ticket',
    'SELECT hms_ticket_is_a_reserved_database_name', 'DO 0');
PREPARE hms_ticket_guard_stmt FROM @hms_ticket_guard;
EXECUTE hms_ticket_guard_stmt;
DEALLOCATE PREPARE hms_ticket_guard_stmt;

CREATE DATABASE IF NOT EXISTS hms_ticket CHARACTER SET utf8mb4;

CREATE TABLE IF NOT EXISTS hms_ticket.routine_ticket (
    server_id     INT UNSIGNED    NOT NULL COMMENT '@@GLOBAL.server_id of the node the session is on',
    connection_id BIGINT UNSIGNED NOT NULL COMMENT 'CONNECTION_ID() of the session inside a routine',
    PRIMARY KEY (server_id, connection_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='Sessions inside the payment and stock routines; rows are never committed';
