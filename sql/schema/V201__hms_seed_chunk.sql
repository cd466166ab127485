-- Bookkeeping of `hms seed`: one row per chunk of the dataset loaded and committed,
-- written in the same transaction as the chunk's LOAD DATA, so `hms seed --resume`
-- knows exactly what is in. seed, scale and as_of say which dataset the chunk is of.
CREATE TABLE hms_seed_chunk (
    table_name VARCHAR(64)     NOT NULL,
    chunk_no   INT UNSIGNED    NOT NULL,
    first_id   BIGINT UNSIGNED NOT NULL,
    row_count  INT UNSIGNED    NOT NULL,
    seed       BIGINT          NOT NULL,
    scale      DOUBLE          NOT NULL,
    as_of      DATE            NOT NULL,
    loaded_at  DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (table_name, chunk_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
