-- Bookkeeping of `hms seed`: one row per load, written when it starts and finished when
-- it completes, always by an ordinary session, so the row is in the binary log even when
-- the load's rows are not. logged says whether they are: a load with logged = FALSE wrote
-- its rows between the GTID positions gtid_before and gtid_after without logging them,
-- so rolling the binary log forward across that span cannot rebuild them; recovery
-- starts from a backup taken after the load. finished_at, row_count and gtid_after stay
-- NULL while a load runs or after it was interrupted (`hms seed --resume` finishes the
-- same row). Times are UTC.
CREATE TABLE hms_seed_log (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    started_at  DATETIME(6)     NOT NULL,
    finished_at DATETIME(6)     NULL,
    seed        BIGINT          NOT NULL,
    scale       DOUBLE          NOT NULL,
    as_of       DATE            NOT NULL,
    row_count   BIGINT UNSIGNED NULL,
    logged      BOOLEAN         NOT NULL,
    gtid_before TEXT            NOT NULL,
    gtid_after  TEXT            NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
